import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startGatewayProcess, whenReady } from "../../test/stress/kit/child-gateway.ts";
import { runWrk, socketErrorTotal } from "../bench/load.ts";
import { REQUEST_BODIES } from "../bench/messages.ts";
import { ROUTE_PATH, writeBenchProject } from "../bench/mcpgw.ts";
import { obtainAccessToken } from "../bench/oauth-client.ts";
import { sampleProcess } from "../bench/procstat.ts";
import { PROTOCOL_HEADERS } from "../bench/targets.ts";
import { startMinimalUpstream } from "../bench/upstreams.ts";

// The load part of `npm run stress`: the benchmark's full chain (a real token from the OAuth flow, the
// MCP OAuth policy, then the capability filter, to the benchmark's minimal upstream) at 5× its c=64,
// for a bounded time, on loopback only. wrk stops itself after --seconds; the gateway is a child
// process (`bun src/cli/main.ts dev`), measured from /proc before and after: RSS and open fds.

/** What the run may show and still pass: a few wrk timeouts at the start; no growth that looks like a leak. */
const MAX_ERROR_RATE = 0.001;
const FD_BOUND = 64;
const RSS_BOUND_MB = 128;

export interface LoadRunResult {
  readonly problems: string[];
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export async function runLoad(options: { seconds: number; connections: number; say: (line: string) => void }): Promise<LoadRunResult> {
  const { say } = options;
  const wrk = Bun.which("wrk");
  if (!wrk) return { problems: ["wrk is not installed (apt-get install wrk): the load part needs it"] };
  const upstream = startMinimalUpstream("json");
  const project = writeBenchProject(upstream.url, "oauth-filter");
  const dataDir = mkdtempSync(join(tmpdir(), "mcpgw-load-"));
  const port = freePort();
  const gateway = startGatewayProcess(project, dataDir, port);
  try {
    const origin = await whenReady(gateway, port);
    const routeUrl = `${origin}${ROUTE_PATH}`;
    const token = await obtainAccessToken(origin, routeUrl);
    const headers = { ...PROTOCOL_HEADERS, authorization: `Bearer ${token}` };
    const pid = gateway.proc.pid;
    const scriptDir = mkdtempSync(join(tmpdir(), "mcpgw-load-wrk-"));
    const common = { wrk, url: routeUrl, body: REQUEST_BODIES["tools/call"], headers, connections: options.connections, uniqueIds: true, scriptDir };

    await runWrk({ ...common, durationS: 5 });
    await Bun.sleep(1_000);
    const before = { rssMb: sampleProcess(pid).rssKb / 1024, fds: fdCount(pid) };
    say(`   ${options.connections} connections for ${options.seconds} s through OAuth + capability filter (tools/call); before: RSS ${before.rssMb.toFixed(0)} MB, ${before.fds} fds`);
    const result = await runWrk({ ...common, durationS: options.seconds });
    await Bun.sleep(2_000);
    const after = { rssMb: sampleProcess(pid).rssKb / 1024, fds: fdCount(pid) };
    const errors = result.non2xx + socketErrorTotal(result.socketErrors);
    const errorRate = errors / Math.max(1, result.requests);
    say(`   ${result.requests} requests, ${result.rps.toFixed(0)}/s; errors ${errors} (${(errorRate * 100).toFixed(3)}%: ${result.non2xx} non-2xx, sockets ${JSON.stringify(result.socketErrors)})`);
    say(`   latency p50 ${result.p50Ms.toFixed(1)} ms, p90 ${result.p90Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms`);
    say(`   after: RSS ${after.rssMb.toFixed(0)} MB, ${after.fds} fds`);
    const problems: string[] = [];
    if (errorRate > MAX_ERROR_RATE) problems.push(`error rate ${(errorRate * 100).toFixed(3)}% is above ${MAX_ERROR_RATE * 100}%`);
    if (after.fds - before.fds > FD_BOUND) problems.push(`open fds grew from ${before.fds} to ${after.fds} (bound +${FD_BOUND})`);
    if (after.rssMb - before.rssMb > RSS_BOUND_MB) problems.push(`RSS grew from ${before.rssMb.toFixed(0)} to ${after.rssMb.toFixed(0)} MB (bound +${RSS_BOUND_MB} MB)`);
    return { problems };
  } finally {
    gateway.proc.kill("SIGTERM");
    await gateway.proc.exited;
    upstream.stop();
  }
}
