// An A/B and profiling loop for the proxy's hot path, quicker than the full matrix: the minimal upstream,
// the naive hono proxy (the floor of issue #13) and mcpgw *from source* (so a change is measured without
// a build), loaded alternately by wrk at one concurrency, `--runs` times. Prints req/s and CPU µs per
// request of each proxy process, and mcpgw's ratios to the hono proxy from the same run. With
// `--cpu-prof` mcpgw runs under Bun's sampling profiler and its markdown profile (self time by function)
// is written to the work dir when the loads are done.
//
//   bun scripts/bench/profile.ts [--profile plain|filter|oauth-filter] [--method tools/call|tools/list]
//                                [--connections 64] [--seconds 4] [--runs 3] [--cpu-prof] [--log-level info]

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runWrk } from "./load.ts";
import { ROUTE_PATH, writeBenchProject, removeBenchProjects, type GatewayProfile } from "./mcpgw.ts";
import { REQUEST_BODIES, type BenchMethod } from "./messages.ts";
import { devLoginLinkFromLog, obtainAccessToken } from "./oauth-client.ts";
import { freePort, LISTENING_LINE, spawnManaged, stopAll, waitForPort, which, type ManagedProcess } from "./processes.ts";
import { sampleProcess } from "./procstat.ts";
import { PROTOCOL_HEADERS } from "./targets.ts";

const HELP = `Usage: bun scripts/bench/profile.ts [options]

  --profile P        plain | filter | oauth-filter (default oauth-filter)
  --method M         tools/call | tools/list (default tools/call)
  --connections N    wrk connections (default 64)
  --seconds S        seconds per load (default 4)
  --runs N           alternating hono / mcpgw loads (default 3)
  --log-level L      mcpgw's log level (default info)
  --cpu-prof         run mcpgw under Bun's CPU profiler; prints where the profile went
  --pin              proxies on CPU 1, everything else (wrk, upstream, this script) on CPU 0
                     (taskset): steadier CPU-per-request readings on a shared 2-core machine
  -h, --help         this help
`;

const ROOT = join(import.meta.dir, "../..");
const { values } = parseArgs({
  options: {
    profile: { type: "string", default: "oauth-filter" },
    method: { type: "string", default: "tools/call" },
    connections: { type: "string", default: "64" },
    seconds: { type: "string", default: "4" },
    runs: { type: "string", default: "3" },
    "log-level": { type: "string", default: "info" },
    "cpu-prof": { type: "boolean", default: false },
    pin: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const profile = values.profile as GatewayProfile;
const method = values.method as BenchMethod;
if (!["plain", "filter", "oauth-filter"].includes(profile) || !(method in REQUEST_BODIES)) {
  console.error(HELP);
  process.exit(2);
}
const wrk = which("wrk");
if (!wrk) {
  console.error("needs wrk (apt-get install wrk)");
  process.exit(2);
}

// With --pin this process (and so wrk and the upstream, which inherit it) keeps to CPU 0, the proxies to CPU 1.
const pin = values.pin ? (cmd: string[]) => ["taskset", "-c", "1", ...cmd] : (cmd: string[]) => cmd;
if (values.pin) Bun.spawnSync(["taskset", "-p", "-c", "0", String(process.pid)]);
const dir = mkdtempSync(join(tmpdir(), "mcpgw-profile-"));
const bun = process.execPath;
const token = `bench_${crypto.randomUUID()}`;
try {
  const upstream = await spawnManaged({ name: "upstream", cmd: [bun, join(ROOT, "scripts/bench/upstreams.ts"), "minimal-json"], logFile: join(dir, "upstream.log"), ready: LISTENING_LINE });
  const upstreamUrl = upstream.ready[1]!;
  const hono = await spawnManaged({ name: "hono", cmd: pin([bun, join(ROOT, "scripts/bench/naive-hono-proxy.ts"), upstreamUrl, token]), logFile: join(dir, "hono.log"), ready: LISTENING_LINE });
  const project = writeBenchProject(upstreamUrl, profile);
  const oauth = profile === "oauth-filter";
  const prof = values["cpu-prof"] ? ["--cpu-prof-md", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=200"] : [];
  // A fixed port and the health endpoint: above `info` the gateway_listening line is not written.
  const port = freePort();
  const gateway: ManagedProcess = await spawnManaged({
    name: "mcpgw",
    cmd: pin([bun, ...prof, "--no-env-file", join(ROOT, "src/cli/main.ts"), oauth ? "dev" : "start", "--project", project, "--port", String(port), "--data-dir", mkdtempSync(join(project, "data-")), "--log-level", values["log-level"]!]),
    logFile: join(dir, "mcpgw.log"),
    ready: /^/,
    env: { BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" },
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitForPort(`${origin}/__mcpgw/health/ready`, 15_000, "mcpgw");
  const routeUrl = `${origin}${ROUTE_PATH}`;
  const gatewayHeaders = oauth ? { ...PROTOCOL_HEADERS, authorization: `Bearer ${await obtainAccessToken(origin, routeUrl, devLoginLinkFromLog(readFileSync(join(dir, "mcpgw.log"), "utf8")))}` } : PROTOCOL_HEADERS;
  const targets = [
    { name: "hono", url: hono.ready[1]!, headers: { ...PROTOCOL_HEADERS, authorization: `Bearer ${token}` }, pid: hono.pid },
    { name: "mcpgw", url: routeUrl, headers: gatewayHeaders, pid: gateway.pid },
  ];
  const connections = Number(values.connections);
  const seconds = Number(values.seconds);
  const results = new Map<string, { rps: number; cpu: number }[]>(targets.map((t) => [t.name, []]));
  // Warm both (JIT, connection pools) before recording.
  for (const t of targets) await runWrk({ wrk, url: t.url, body: REQUEST_BODIES[method], headers: t.headers, connections, durationS: 1, scriptDir: dir });
  for (let run = 1; run <= Number(values.runs); run++) {
    for (const t of targets) {
      const before = sampleProcess(t.pid);
      const load = await runWrk({ wrk, url: t.url, body: REQUEST_BODIES[method], headers: t.headers, connections, durationS: seconds, scriptDir: dir });
      const after = sampleProcess(t.pid);
      const requests = load.requests;
      if (load.non2xx > 0) throw new Error(`${t.name}: ${load.non2xx} non-2xx answers`);
      const cpu = (after.cpuMicros - before.cpuMicros) / requests;
      results.get(t.name)!.push({ rps: load.rps, cpu });
      console.log(`run ${run} ${t.name.padEnd(5)} ${Math.round(load.rps).toString().padStart(6)} req/s  ${cpu.toFixed(1).padStart(6)} µs/req  p50 ${load.p50Ms.toFixed(2)} ms`);
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const h = results.get("hono")!;
  const g = results.get("mcpgw")!;
  const rpsRatio = med(g.map((r) => r.rps)) / med(h.map((r) => r.rps));
  const cpuRatio = med(g.map((r) => r.cpu)) / med(h.map((r) => r.cpu));
  console.log(
    `median: hono ${Math.round(med(h.map((r) => r.rps)))} req/s ${med(h.map((r) => r.cpu)).toFixed(1)} µs · mcpgw ${Math.round(med(g.map((r) => r.rps)))} req/s ${med(g.map((r) => r.cpu)).toFixed(1)} µs · mcpgw/hono req/s ${rpsRatio.toFixed(2)}× CPU ${cpuRatio.toFixed(2)}× (${profile}, ${method}, c=${connections})`,
  );
  if (values["cpu-prof"]) {
    await gateway.stop();
    const md = readdirSync(dir).find((f) => f.endsWith(".md"));
    console.log(md ? `profile: ${join(dir, md)}` : `no profile written in ${dir}`);
  }
} finally {
  await stopAll();
  removeBenchProjects();
  if (!values["cpu-prof"]) rmSync(dir, { recursive: true, force: true });
}
