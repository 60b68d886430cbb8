import { runWrk, socketErrorTotal, type LoadResult } from "./load.ts";
import { REQUEST_BODIES } from "./messages.ts";
import { fdCount, sampleProcess } from "./procstat.ts";
import { table } from "./report.ts";
import type { RunningTarget } from "./targets.ts";

// A steady load on one mcpgw process for a bounded time (wrk -d), sampling its RSS and open fds every few
// seconds: a leak shows as growth between the first sample after warm-up and the last one.

export interface SoakSample {
  readonly atSeconds: number;
  readonly rssMiB: number;
  readonly fds: number;
}

export interface SoakResult {
  readonly target: string;
  readonly seconds: number;
  readonly connections: number;
  readonly load: LoadResult;
  readonly samples: readonly SoakSample[];
  /** The reference sample is the second one (one interval in), so warm-up growth is not counted. */
  readonly steadyAtSeconds: number;
  /** The last sample under load minus the reference sample. */
  readonly rssGrowthMiB: number;
  readonly fdGrowth: number;
  /** One second after the load stopped. */
  readonly idleAfter: SoakSample;
}

export interface SoakOptions {
  readonly wrk: string;
  readonly seconds: number;
  readonly sampleEverySeconds: number;
  readonly connections: number;
  readonly scriptDir: string;
}

export async function soak(target: RunningTarget, options: SoakOptions): Promise<SoakResult> {
  const samples: SoakSample[] = [];
  const t0 = performance.now();
  const take = () => samples.push({ atSeconds: (performance.now() - t0) / 1_000, rssMiB: sampleProcess(target.pid).rssKb / 1024, fds: fdCount(target.pid) });
  take();
  const timer = setInterval(take, options.sampleEverySeconds * 1_000);
  let load: LoadResult;
  try {
    load = await runWrk({
      wrk: options.wrk,
      url: target.url,
      body: REQUEST_BODIES["tools/call"],
      headers: target.headers,
      connections: options.connections,
      durationS: options.seconds,
      scriptDir: options.scriptDir,
    });
  } finally {
    clearInterval(timer);
  }
  await Bun.sleep(1_000);
  const idleAfter = { atSeconds: (performance.now() - t0) / 1_000, rssMiB: sampleProcess(target.pid).rssKb / 1024, fds: fdCount(target.pid) };
  const steady = samples[Math.min(1, samples.length - 1)]!;
  const last = samples.at(-1)!;
  return {
    target: target.spec.label,
    seconds: options.seconds,
    connections: options.connections,
    load,
    samples,
    steadyAtSeconds: steady.atSeconds,
    rssGrowthMiB: last.rssMiB - steady.rssMiB,
    fdGrowth: last.fds - steady.fds,
    idleAfter,
  };
}

export function soakMarkdown(r: SoakResult): string {
  const errors = r.load.non2xx + socketErrorTotal(r.load.socketErrors);
  return [
    `${r.target}, \`tools/call\`, ${r.connections} connections for ${r.seconds} s: ${r.load.requests} requests (${Math.round(r.load.rps)} req/s), p50 ${r.load.p50Ms.toFixed(3)} ms, p99 ${r.load.p99Ms.toFixed(3)} ms, ${errors} errors.`,
    `Growth under load, from the sample at ${r.steadyAtSeconds.toFixed(0)} s to the last one: RSS ${r.rssGrowthMiB >= 0 ? "+" : ""}${r.rssGrowthMiB.toFixed(1)} MiB, fds ${r.fdGrowth >= 0 ? "+" : ""}${r.fdGrowth}. The last row is 1 s after the load stopped (the load's keep-alive connections closed).`,
    "",
    table(
      ["t s", "RSS MiB", "fds"],
      [...r.samples, r.idleAfter].map((s, i) => [`${s.atSeconds.toFixed(0)}${i === r.samples.length ? " (idle)" : ""}`, s.rssMiB.toFixed(1), String(s.fds)]),
    ),
    "",
  ].join("\n");
}

