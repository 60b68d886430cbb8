import { mkdtempSync, statSync } from "node:fs";
import { join } from "node:path";
import { LISTENING, listeningUrl, writeBenchProject } from "./mcpgw.ts";
import { sampleProcess } from "./procstat.ts";
import { trackChild } from "./processes.ts";
import { stat, table, type Stat } from "./report.ts";

// How fast the compiled binary comes up, and what it holds when idle. Each sample spawns
// `dist/mcpgw start` on port 0 and times spawn → the gateway_listening log line → the first 200 from
// /__mcpgw/health/ready (polled every 2 ms). "first start" uses an empty data dir (store created,
// migrations run, secret key generated); "restart" reuses one. Idle RSS is read 1 s after ready.

export interface StartupSample {
  readonly kind: "first start" | "restart";
  readonly listeningMs: number;
  readonly readyMs: number;
  readonly idleRssKb?: number;
}

export interface StartupResult {
  readonly binaryMiB: number;
  readonly samples: readonly StartupSample[];
}

const READY_PATH = "/__mcpgw/health/ready";
const IDLE_WAIT_MS = 1_000;

async function firstLineMatching(stream: ReadableStream<Uint8Array>, pattern: RegExp, timeoutMs: number): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const timer = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`no line matching ${pattern} before the output ended:\n${text.slice(-2_000)}`);
      text += decoder.decode(value, { stream: true });
      const m = pattern.exec(text);
      if (m) return m[0];
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
}

async function sampleOnce(binary: string, projectDir: string, dataDir: string, kind: StartupSample["kind"]): Promise<StartupSample> {
  const t0 = performance.now();
  const proc = Bun.spawn([binary, "start", "--project", projectDir, "--port", "0", "--data-dir", dataDir], { stdout: "pipe", stderr: "ignore", stdin: "ignore" });
  const untrack = trackChild(proc);
  try {
    const line = await firstLineMatching(proc.stdout, LISTENING, 10_000);
    const listeningMs = performance.now() - t0;
    const ready = `${listeningUrl(line)}${READY_PATH}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const status = await fetch(ready).then((r) => (void r.arrayBuffer(), r.status), () => 0);
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`${ready} never answered 200`);
      await Bun.sleep(2);
    }
    const readyMs = performance.now() - t0;
    if (kind === "first start") return { kind, listeningMs, readyMs };
    await Bun.sleep(IDLE_WAIT_MS);
    return { kind, listeningMs, readyMs, idleRssKb: sampleProcess(proc.pid).rssKb };
  } finally {
    proc.kill("SIGTERM");
    const killer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    await proc.exited;
    clearTimeout(killer);
    untrack();
  }
}

/** `runs` first starts, then `runs` restarts on one data dir; strictly sequential. */
export async function measureStartup(binary: string, upstreamUrl: string, runs: number): Promise<StartupResult> {
  const projectDir = writeBenchProject(upstreamUrl, "plain");
  const samples: StartupSample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await sampleOnce(binary, projectDir, mkdtempSync(join(projectDir, "fresh-")), "first start"));
  const shared = mkdtempSync(join(projectDir, "shared-"));
  for (let i = 0; i < runs; i++) samples.push(await sampleOnce(binary, projectDir, shared, "restart"));
  return { binaryMiB: statSync(binary).size / 1024 / 1024, samples };
}

export function startupMarkdown(result: StartupResult): string {
  const of = (kind: StartupSample["kind"]) => result.samples.filter((s) => s.kind === kind);
  const cell = (s: Stat, digits = 0) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
  const rows = (["first start", "restart"] as const).map((kind) => {
    const samples = of(kind);
    const rss = samples.filter((s) => s.idleRssKb !== undefined).map((s) => s.idleRssKb! / 1024);
    return [kind, String(samples.length), cell(stat(samples.map((s) => s.listeningMs))), cell(stat(samples.map((s) => s.readyMs))), rss.length ? cell(stat(rss), 1) : "–"];
  });
  return [
    `Binary: ${result.binaryMiB.toFixed(1)} MiB. Median (min–max) over the samples.`,
    "",
    table(["start", "samples", "spawn → listening ms", "spawn → ready 200 ms", "idle RSS MiB"], rows),
    "",
  ].join("\n");
}
