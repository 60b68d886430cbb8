import { join } from "node:path";
import { trackChild } from "./processes.ts";

// Load generators. wrk (one thread, keep-alive connections, POST from a generated Lua script, --latency
// for the percentile table) is the real one; every wrk run is bounded by -d and killed if it overruns.
// runMiniLoad is a small fetch()-based generator for the harness test and for machines without wrk:
// a fixed number of requests, never a duration.

export interface SocketErrors {
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  readonly timeout: number;
}

export interface LoadResult {
  readonly generator: "wrk" | "bun";
  readonly requests: number;
  readonly durationS: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  /** Responses outside 2xx/3xx. */
  readonly non2xx: number;
  readonly socketErrors: SocketErrors;
}

export interface LoadSpec {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  /** A fresh JSON-RPC id per request (wrk only; the mini load is for stateless targets). */
  readonly uniqueIds?: boolean;
}

const NO_SOCKET_ERRORS: SocketErrors = { connect: 0, read: 0, write: 0, timeout: 0 };

export function socketErrorTotal(e: SocketErrors): number {
  return e.connect + e.read + e.write + e.timeout;
}

/** A wrk duration such as "512.34us", "1.20ms", "2.00s" or "1.00m", in milliseconds. */
export function parseWrkTime(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const scale = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as "us" | "ms" | "s" | "m" | "h"];
  return Number(m[1]) * scale;
}

/** wrk's text report → numbers. Throws when the report lacks the request count (wrk failed). */
export function parseWrkOutput(text: string): LoadResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(text);
  if (!total) throw new Error(`cannot parse wrk output:\n${text}`);
  const percentile = (p: number) => {
    const m = new RegExp(`^\\s*${p}(?:\\.0+)?%\\s+(\\S+)`, "m").exec(text);
    return m ? parseWrkTime(m[1]!) : Number.NaN;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const requests = Number(total[1]);
  const durationS = parseWrkTime(`${total[2]}${total[3]}`) / 1_000;
  return {
    generator: "wrk",
    requests,
    durationS,
    rps: rps ? Number(rps[1]) : requests / durationS,
    p50Ms: percentile(50),
    p90Ms: percentile(90),
    p99Ms: percentile(99),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? { connect: Number(sock[1]), read: Number(sock[2]), write: Number(sock[3]), timeout: Number(sock[4]) } : NO_SOCKET_ERRORS,
  };
}

const FIRST_ID = /"id":\d+/;

/**
 * The Lua script wrk runs: a POST with these headers and body. Long brackets need no escaping (the
 * spaces in `[ [=[…]=] ]` matter: `[[` would open a long string). With `uniqueIds`, each request
 * carries its own JSON-RPC id (a counter): needed where requests share a session, whose server matches
 * answers to requests by id.
 */
export function wrkScript(body: string, headers: Readonly<Record<string, string>>, uniqueIds = false): string {
  const lit = (s: string) => {
    let eq = "=";
    while (s.includes(`]${eq}]`)) eq += "=";
    return `[${eq}[${s}]${eq}]`;
  };
  const lines = ['wrk.method = "POST"', `wrk.body = ${lit(body)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`wrk.headers[ ${lit(name)} ] = ${lit(value)}`);
  const id = FIRST_ID.exec(body);
  if (uniqueIds && id) {
    lines.push(
      "local counter = 0",
      `local before, after = ${lit(`${body.slice(0, id.index)}"id":`)}, ${lit(body.slice(id.index + id[0].length))}`,
      "request = function()",
      "  counter = counter + 1",
      "  return wrk.format(nil, nil, nil, before .. counter .. after)",
      "end",
    );
  }
  return `${lines.join("\n")}\n`;
}

export interface WrkRun extends LoadSpec {
  readonly wrk: string;
  readonly durationS: number;
  readonly scriptDir: string;
}

let scriptCounter = 0;

export async function runWrk(run: WrkRun): Promise<LoadResult> {
  const script = join(run.scriptDir, `load-${++scriptCounter}.lua`);
  await Bun.write(script, wrkScript(run.body, run.headers, run.uniqueIds));
  const proc = Bun.spawn([run.wrk, "-t1", `-c${run.connections}`, `-d${run.durationS}s`, "--timeout", "5s", "--latency", "-s", script, run.url], {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const untrack = trackChild(proc);
  // wrk stops itself after -d; this only guards against a wedged run.
  const guard = setTimeout(() => proc.kill("SIGKILL"), (run.durationS + 15) * 1_000);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(guard);
  untrack();
  if (proc.exitCode !== 0) throw new Error(`wrk exited with ${proc.exitCode}: ${err || out}`);
  return parseWrkOutput(out);
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** `requests` POSTs over `connections` concurrent fetch() loops; bounded by count, not time. */
export async function runMiniLoad(spec: LoadSpec & { readonly requests: number }): Promise<LoadResult> {
  const latencies: number[] = [];
  let non2xx = 0;
  let failed = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < spec.requests) {
      next++;
      const t0 = performance.now();
      try {
        const response = await fetch(spec.url, { method: "POST", headers: spec.headers, body: spec.body });
        await response.arrayBuffer();
        if (response.status >= 400) non2xx++;
        latencies.push(performance.now() - t0);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, spec.connections) }, worker));
  const durationS = (performance.now() - started) / 1_000;
  latencies.sort((a, b) => a - b);
  return {
    generator: "bun",
    requests: latencies.length,
    durationS,
    rps: latencies.length / durationS,
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    non2xx,
    socketErrors: { ...NO_SOCKET_ERRORS, read: failed },
  };
}
