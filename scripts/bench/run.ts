// `npm run bench`: the benchmark harness (issue #13). Starts the upstreams and every target on
// 127.0.0.1, runs the bounded matrix and the other sections, stops every process it started (also on
// Ctrl-C or an error), prints the markdown report and writes it with the raw numbers to bench-results/.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CIVIC_VERSION } from "./civic.ts";
import { HELP, parseBenchArgs, UsageError, type BenchOptions, type Section } from "./cli.ts";
import { ensureBinary, removeBenchProjects, type BinaryStatus } from "./mcpgw.ts";
import { checkIdentity, runMatrix } from "./matrix.ts";
import { BENCH_METHODS } from "./messages.ts";
import { loadAverage, machineInfo, machineMarkdown, sourceRevision } from "./machine.ts";
import { LISTENING_LINE, spawnManaged, stopAll, which } from "./processes.ts";
import { aggregate, matrixMarkdown, type CellResult, type TargetSummary } from "./report.ts";
import { measureSseStreams, sseStreamsMarkdown, type SseStreamsResult } from "./sse-streams.ts";
import { measureStartup, startupMarkdown, type StartupResult } from "./startup.ts";
import { soak, soakMarkdown, type SoakResult } from "./soak.ts";
import { baselineOf, startTarget, targetSpec, type BenchEnv, type RunningTarget, type UpstreamHandle } from "./targets.ts";
import { measureTokenValidation, tokenValidationMarkdown, type TokenValidationResult } from "./token-validation.ts";
import type { UpstreamKind } from "./upstreams.ts";

const ROOT = resolve(import.meta.dir, "../..");
const started = performance.now();
const say = (line: string) => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);

const MCP_HUB_NOTE =
  "mcp-hub 4.2.1 is not in the matrix: it serves MCP clients only the legacy HTTP+SSE transport (GET /mcp opens an SSEServerTransport stream, requests go to POST /messages?sessionId=…; its bundle has no Streamable HTTP server transport), so there is no Streamable HTTP endpoint to POST tools/call to, and a like-for-like request/response load cannot be run against it.";

interface Sections {
  startup?: StartupResult | { skipped: string };
  sse?: SseStreamsResult[] | { skipped: string };
  soak?: SoakResult | { skipped: string };
  tokens?: TokenValidationResult;
}

async function startUpstreams(kinds: Iterable<UpstreamKind>, bun: string, dir: string): Promise<Map<UpstreamKind, UpstreamHandle>> {
  const upstreams = new Map<UpstreamKind, UpstreamHandle>();
  for (const kind of kinds) {
    const proc = await spawnManaged({ name: `upstream-${kind}`, cmd: [bun, join(ROOT, "scripts/bench/upstreams.ts"), kind], logFile: join(dir, `upstream-${kind}.log`), ready: LISTENING_LINE });
    upstreams.set(kind, { url: proc.ready[1]!, pid: proc.pid });
  }
  return upstreams;
}

async function bench(options: BenchOptions, dir: string): Promise<void> {
  const wrk = which("wrk");
  const bun = process.execPath;
  say(`work dir ${dir} (logs of every process${options.keepLogs ? "" : "; deleted at the end unless the run fails or --keep-logs"})`);
  const machine = machineInfo({ "@civic/passthrough-mcp-server": CIVIC_VERSION, "mcpgw source": sourceRevision(ROOT) });
  const loadAtStart = loadAverage();
  const wants = (s: Section) => options.sections.includes(s);
  const needsBinary = options.targets.some((t) => t.startsWith("mcpgw")) || (["startup", "sse", "soak"] as const).some(wants);
  const binary: BinaryStatus = needsBinary ? ensureBinary(ROOT, say) : { path: join(ROOT, "dist/mcpgw"), built: false, error: "not needed" };
  if (binary.error && needsBinary) say(`mcpgw targets will be skipped: ${binary.error}`);

  const specs = wants("matrix") ? options.targets.map(targetSpec) : [];
  const kinds = new Set<UpstreamKind>(["minimal-json", ...specs.map((s) => s.upstream)]);
  const upstreams = await startUpstreams(kinds, bun, dir);
  const env: BenchEnv = { root: ROOT, dir, bun, binary, upstreams, say };

  const running: RunningTarget[] = [];
  const summaries: TargetSummary[] = [];
  for (const spec of specs) {
    const result = await startTarget(spec, env);
    const summary = { id: spec.id, label: spec.label, role: spec.role, what: spec.what, baseline: baselineOf(spec), upstream: spec.upstream, notes: [] as string[], identity: [] };
    if (result.ok) {
      running.push(result.target);
      summaries.push({ ...summary, notes: [...result.target.notes] });
      say(`started ${spec.id} at ${result.target.url}`);
    } else {
      summaries.push({ ...summary, skipped: result.skipped });
      say(`${spec.id}: skipped: ${result.skipped}`);
    }
  }
  for (const [i, s] of summaries.entries()) {
    const target = running.find((t) => t.spec.id === s.id);
    const direct = running.find((t) => t.spec.id === s.baseline);
    if (target && direct && s.role === "proxy") summaries[i] = { ...s, identity: await checkIdentity(target, direct, BENCH_METHODS) };
  }

  let cells: CellResult[] = [];
  if (wants("matrix")) {
    if (!wrk) say("wrk is not installed (apt-get install wrk): each cell is a 2000-request fetch() mini load instead");
    cells = await runMatrix(running, {
      runs: options.runs,
      methods: BENCH_METHODS,
      concurrencies: options.concurrencies,
      durationS: options.durationS,
      warmupS: options.warmupS,
      wrk,
      miniRequests: 2_000,
      scriptDir: dir,
      say,
    });
  }

  const sections: Sections = {};
  if (wants("soak")) {
    const target = running.find((t) => t.spec.id === "mcpgw");
    if (!wrk) sections.soak = { skipped: "wrk is not installed" };
    else if (!target) sections.soak = { skipped: "the mcpgw target is not running (select it with --targets)" };
    else {
      say(`soak: ${options.soakSeconds} s on mcpgw`);
      sections.soak = await soak(target, { wrk, seconds: options.soakSeconds, sampleEverySeconds: 5, connections: 16, scriptDir: dir });
    }
  }
  // The remaining sections each start their own processes: give them the machine.
  await Promise.all(running.map((t) => t.stop()));
  if (wants("startup")) {
    if (binary.error) sections.startup = { skipped: binary.error };
    else {
      say("startup: spawn → listening → ready");
      sections.startup = await measureStartup(binary.path, upstreams.get("minimal-json")!.url, options.startupSamples);
    }
  }
  if (wants("sse")) {
    if (binary.error) sections.sse = { skipped: binary.error };
    else {
      const sseOptions = { binary: binary.path, bun, root: ROOT, dir, streams: options.sseStreams, holdSeconds: options.sseHoldSeconds, batch: 250, say };
      const variants = [{ name: "as shipped", env: {} }];
      if (!options.quick) variants.push({ name: "BUN_CONFIG_MAX_HTTP_REQUESTS raised", env: { BUN_CONFIG_MAX_HTTP_REQUESTS: String(options.sseStreams + 256) } });
      sections.sse = [];
      for (const variant of variants) sections.sse.push(await measureSseStreams(sseOptions, variant));
    }
  }
  await stopAll();
  if (wants("tokens")) {
    say("token validation");
    sections.tokens = await measureTokenValidation(options.tokenSizes, say);
  }

  const rows = aggregate(cells, summaries);
  const wallSeconds = (performance.now() - started) / 1_000;
  const load = { atStart: loadAtStart, atEnd: loadAverage() };
  const markdown = reportMarkdown({ options, machine: machineMarkdown(machine), rows: matrixMarkdown(rows, summaries), sections, wallSeconds, load, generator: wrk ? "wrk" : "fetch() mini load" });
  const outDir = resolve(ROOT, options.outDir);
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const jsonPath = join(outDir, `bench-${stamp}.json`);
  await Bun.write(jsonPath, JSON.stringify({ date: new Date().toISOString(), wallSeconds, loadAverage: load, options, machine, binary, targets: summaries, rows, cells, sections, notes: [MCP_HUB_NOTE] }, null, 2));
  await Bun.write(join(outDir, `bench-${stamp}.md`), markdown);
  console.log(markdown);
  say(`done in ${wallSeconds.toFixed(0)} s; results: ${jsonPath} (+ .md)`);
}

function section<T>(title: string, value: T | { skipped: string } | undefined, render: (v: T) => string): string[] {
  if (value === undefined) return [];
  if (typeof value === "object" && value !== null && "skipped" in value) return [`### ${title}`, "", `Skipped: ${value.skipped}.`, ""];
  return [`### ${title}`, "", render(value as T)];
}

interface ReportParts {
  readonly options: BenchOptions;
  readonly machine: string;
  readonly rows: string;
  readonly sections: Sections;
  readonly wallSeconds: number;
  readonly load: { readonly atStart: number; readonly atEnd: number };
  readonly generator: string;
}

function reportMarkdown(r: ReportParts): string {
  const o = r.options;
  return [
    `## mcpgw benchmark, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC${o.quick ? " (quick)" : ""}`,
    "",
    `${o.runs} run(s) of the matrix, ${o.durationS} s per cell after a ${o.warmupS} s warm-up, concurrency ${o.concurrencies.join("/")}, load by ${r.generator}; whole run ${Math.round(r.wallSeconds)} s. Medians over runs, ±: half the min–max range. Load average (1 min) ${r.load.atStart.toFixed(2)} at the start, ${r.load.atEnd.toFixed(2)} at the end (on 2 cores, anything near 2 before the bench starts means other work is sharing the machine).`,
    "",
    "### Machine",
    "",
    r.machine,
    ...(o.sections.includes("matrix") ? ["### Proxy overhead", "", r.rows] : []),
    ...section("Binary start-up and idle memory", r.sections.startup, startupMarkdown),
    ...section(`${o.sseStreams} concurrent SSE streams through one mcpgw`, r.sections.sse, sseStreamsMarkdown),
    ...section("Soak", r.sections.soak, soakMarkdown),
    ...section("Token validation", r.sections.tokens, tokenValidationMarkdown),
    "### Not measured",
    "",
    `- ${MCP_HUB_NOTE}`,
    "",
  ].join("\n");
}

async function main(): Promise<number> {
  let options: BenchOptions | "help";
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`bench: ${err.message}\nRun \`npm run bench -- --help\` for usage.`);
    return 2;
  }
  if (options === "help") {
    console.log(HELP);
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), "mcpgw-bench-"));
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      say(`${signal}: stopping every process the bench started; logs kept in ${dir}`);
      void stopAll().then(() => {
        removeBenchProjects();
        process.exit(130);
      });
    });
  }
  let ok = false;
  try {
    await bench(options, dir);
    ok = true;
    return 0;
  } finally {
    await stopAll();
    removeBenchProjects();
    if (ok && !options.keepLogs) rmSync(dir, { recursive: true, force: true });
    else say(`logs kept in ${dir}`);
  }
}

process.exit(await main());
