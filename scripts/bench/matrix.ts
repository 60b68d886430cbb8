import { runMiniLoad, runWrk, socketErrorTotal, type LoadResult, type LoadSpec } from "./load.ts";
import { REQUEST_BODIES, type BenchMethod } from "./messages.ts";
import { sampleProcess } from "./procstat.ts";
import type { CellResult, IdentityCheck } from "./report.ts";
import type { RunningTarget } from "./targets.ts";

// The matrix: runs × targets × methods × concurrencies, one bounded load per cell. Before the first cell
// of a (target, method) in the first run, a short unrecorded warm-up at the highest concurrency (JIT, pools).
// The target's CPU time is read from /proc just before and just after each recorded cell.

export interface MatrixOptions {
  readonly runs: number;
  readonly methods: readonly BenchMethod[];
  readonly concurrencies: readonly number[];
  readonly durationS: number;
  readonly warmupS: number;
  /** wrk's path; without it each cell is a fetch() mini load of `miniRequests` requests. */
  readonly wrk: string | undefined;
  readonly miniRequests: number;
  readonly scriptDir: string;
  readonly say: (line: string) => void;
}

async function load(spec: LoadSpec, durationS: number, options: MatrixOptions): Promise<LoadResult> {
  if (options.wrk) return runWrk({ ...spec, wrk: options.wrk, durationS, scriptDir: options.scriptDir });
  return runMiniLoad({ ...spec, requests: options.miniRequests });
}

export async function runCell(target: RunningTarget, method: BenchMethod, connections: number, run: number, options: MatrixOptions): Promise<CellResult> {
  const spec: LoadSpec = { url: target.url, body: REQUEST_BODIES[method], headers: target.headers, connections, uniqueIds: target.uniqueIds };
  const before = sampleProcess(target.pid);
  const result = await load(spec, options.durationS, options);
  const after = sampleProcess(target.pid);
  return { run, target: target.spec.id, method, connections, load: result, cpuMicros: after.cpuMicros - before.cpuMicros, rssKb: after.rssKb };
}

export async function runMatrix(targets: readonly RunningTarget[], options: MatrixOptions): Promise<CellResult[]> {
  const cells: CellResult[] = [];
  const warmConnections = Math.max(...options.concurrencies);
  for (let run = 1; run <= options.runs; run++) {
    for (const target of targets) {
      for (const method of options.methods) {
        // Later runs find the processes warm already.
        if (options.warmupS > 0 && run === 1) {
          await load({ url: target.url, body: REQUEST_BODIES[method], headers: target.headers, connections: warmConnections, uniqueIds: target.uniqueIds }, options.warmupS, options);
        }
        for (const connections of options.concurrencies) {
          const cell = await runCell(target, method, connections, run, options);
          cells.push(cell);
          const errors = cell.load.non2xx + socketErrorTotal(cell.load.socketErrors);
          options.say(
            `run ${run}/${options.runs} ${target.spec.id} ${method} c=${connections}: ${Math.round(cell.load.rps)} req/s, p50 ${cell.load.p50Ms.toFixed(3)} ms, p99 ${cell.load.p99Ms.toFixed(3)} ms${errors ? `, ${errors} errors` : ""}`,
          );
        }
      }
    }
  }
  return cells;
}

async function answer(target: RunningTarget, method: BenchMethod): Promise<{ bytes: Uint8Array; type: string; status: number }> {
  const response = await fetch(target.url, { method: "POST", headers: target.headers, body: REQUEST_BODIES[method] });
  return { bytes: await response.bytes(), type: response.headers.get("content-type") ?? "", status: response.status };
}

/** Once per proxy: is its answer byte for byte what the upstream answers when asked directly? */
export async function checkIdentity(target: RunningTarget, direct: RunningTarget, methods: readonly BenchMethod[]): Promise<IdentityCheck[]> {
  const checks: IdentityCheck[] = [];
  for (const method of methods) {
    const [got, want] = await Promise.all([answer(target, method), answer(direct, method)]);
    const identical = got.status === want.status && Buffer.from(got.bytes).equals(Buffer.from(want.bytes));
    const detail = identical ? "" : `${got.status} ${got.type.split(";")[0]}, ${got.bytes.length} bytes vs direct ${want.status} ${want.type.split(";")[0]}, ${want.bytes.length} bytes`;
    checks.push({ method, identical, detail });
  }
  return checks;
}
