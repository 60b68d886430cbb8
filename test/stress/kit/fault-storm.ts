import { readdirSync, readFileSync } from "node:fs";
import { policy, postRpc, startGateway, type GatewayUnderTest } from "../../helpers/gateway.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc } from "../../helpers/project.ts";
import { startFaultyUpstream, startResettingUpstream } from "../../helpers/upstreams.ts";
import { mcpShape, readAnswer, stackTrace, type Answer } from "./outcome.ts";
import { withWatchdog } from "./watchdog.ts";

// A storm of upstream faults through the real gateway (issue 18, "Faults"): each fault must come back
// as a JSON-RPC error for the request's id — a non-2xx JSON-RPC body, or, once an event stream has
// started, a last event carrying the error — within the configured timeout (a watchdog measures it);
// afterwards the process's open fds and RSS are back where they were; and a second route answers all
// along. The gateway runs in this process, so /proc/self is the gateway's.

/** Small, so a thousand faults take seconds. */
export const STORM_LIMITS = { connectTimeoutMs: 300, requestTimeoutMs: 400, sseIdleTimeoutMs: 200, maxFilteredResponseBytes: 64 * 1024 };
/** How much later than requestTimeoutMs a fault may end before the watchdog calls it a hang. */
const WATCHDOG_SLACK_MS = 2_000;
/** What "where they were" allows: pooled keep-alive connections and allocator slack. */
export const FD_BOUND = 16;
export const RSS_BOUND_MB = 64;

interface FaultKind {
  readonly name: string;
  readonly route: string;
  readonly method: "tools/call" | "tools/list";
  /**
   * A JSON body streamed without a length: once its first bytes went out with a 200, it can no longer
   * become an error (docs/proxy.md); the client sees it cut short at requestTimeoutMs. Counted as
   * survived when it ends in time; docs/security.md, "suite", names the gap.
   */
  readonly cutShort?: true;
}

const FAULTS: readonly FaultKind[] = [
  { name: "reset", route: "/f/reset", method: "tools/call" },
  { name: "hang", route: "/f/hang", method: "tools/call" },
  { name: "drip (JSON, Content-Length)", route: "/f/drip", method: "tools/call" },
  { name: "drip (JSON, chunked)", route: "/f/drip-json", method: "tools/call", cutShort: true },
  { name: "drip (SSE)", route: "/f/drip-sse", method: "tools/call" },
  { name: "5xx", route: "/f/html-500", method: "tools/call" },
  { name: "invalid JSON", route: "/f/invalid-json", method: "tools/call" },
  { name: "huge body", route: "/filtered/huge", method: "tools/list" },
  { name: "endless SSE", route: "/f/sse-endless", method: "tools/call" },
];

const FAULT_PATHS = ["hang", "drip-json", "drip-sse", "html-500", "invalid-json", "sse-endless", "echo"];

export function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

export function rssMb(): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

/** The JSON-RPC error a fault must produce: the answer's own, or the last event of its stream. */
function faultAnswerProblem(a: Answer, id: number): string | undefined {
  const shape = stackTrace(a) ?? mcpShape(a);
  if (shape) return shape;
  if (a.status >= 300) {
    const body = JSON.parse(a.text) as { id?: unknown };
    return body.id === id ? undefined : `the error answers id ${JSON.stringify(body.id)}, not ${id}`;
  }
  if (!(a.headers.get("content-type") ?? "").startsWith("text/event-stream")) return `a ${a.status} ${a.headers.get("content-type")} answer, not an error`;
  const events = a.text.split("\n\n").filter((e) => e.includes("data:"));
  const last = events.at(-1)?.split("\n").find((l) => l.startsWith("data:"))?.slice(5).trim();
  let message: { id?: unknown; error?: { code?: unknown } } | undefined;
  try {
    message = last ? JSON.parse(last) : undefined;
  } catch {
    return `the stream's last event is not JSON: ${last?.slice(0, 100)}`;
  }
  return message?.id === id && typeof message.error?.code === "number" ? undefined : `the stream ended without an error for id ${id}: ${last?.slice(0, 200)}`;
}

/**
 * Lets aborted streams and idle pooled sockets go and collects garbage, until the fd count holds still
 * (at most 5 s): the same before and after, so the two readings compare like with like.
 */
async function settle(): Promise<void> {
  let last = -1;
  for (let i = 0; i < 20; i++) {
    await Bun.sleep(250);
    Bun.gc(true);
    const now = openFds();
    if (now === last) return;
    last = now;
  }
}

export interface StormResult {
  readonly faults: number;
  readonly survived: number;
  /** Longest time one fault took, against requestTimeoutMs. */
  readonly slowestMs: number;
  readonly fds: { before: number; after: number };
  readonly rssMb: { before: number; after: number };
  /** Calls to the healthy route during the storm, and how many were answered 200. */
  readonly secondRoute: { calls: number; ok: number; failures: string[] };
  readonly problems: string[];
}

export interface StormGateway {
  readonly gateway: GatewayUnderTest;
  stop(): Promise<void>;
}

export async function startStormGateway(): Promise<StormGateway> {
  const faulty = startFaultyUpstream();
  const resetting = startResettingUpstream();
  const gateway = await startGateway({
    zuplo: { ...MCP_ZUPLO, mcpgw: { proxy: STORM_LIMITS } },
    // Warnings only: completions of a thousand faults would be a thousand info lines kept in memory.
    logLevel: "warn",
    policies: { policies: [policy("curate", "mcp-capability-filter-inbound", "McpCapabilityFilterInboundPolicy", { tools: ["echo"] })] },
    routes: routesDoc({
      ...Object.fromEntries(FAULT_PATHS.map((p) => [`/f/${p}`, { "get,post": mcpRoute(p, `${faulty.origin}/${p}`) }])),
      "/f/reset": { "get,post": mcpRoute("reset", resetting.url) },
      "/f/drip": { "get,post": mcpRoute("drip", resetting.dripUrl) },
      "/filtered/huge": { "get,post": mcpRoute("huge", `${faulty.origin}/huge`, ["curate"]) },
    }),
  });
  return {
    gateway,
    async stop() {
      await gateway.stop();
      faulty.stop();
      resetting.stop();
    },
  };
}

/** `faults` faults, `concurrency` at a time, round-robin over the kinds; a healthy route polled throughout. */
export async function runFaultStorm(options: { faults: number; concurrency?: number; say?: (line: string) => void; storm?: StormGateway }): Promise<StormResult> {
  const say = options.say ?? (() => undefined);
  const storm = options.storm ?? (await startStormGateway());
  const { gateway } = storm;
  const problems: string[] = [];
  let survived = 0;
  let slowestMs = 0;
  let nextId = 1;
  const one = async (kind: FaultKind) => {
    const id = nextId++;
    const started = performance.now();
    try {
      const answer = await withWatchdog(`the ${kind.name} fault`, STORM_LIMITS.requestTimeoutMs + WATCHDOG_SLACK_MS, (signal) =>
        postRpc(`${gateway.url}${kind.route}`, { jsonrpc: "2.0", id, method: kind.method, params: kind.method === "tools/call" ? { name: "work", arguments: {} } : {} }, {}, { signal, keepalive: false })
          .then(readAnswer)
          .catch((err: unknown) => {
            if (kind.cutShort && !signal.aborted) return "cut short" as const;
            throw err;
          }),
      );
      slowestMs = Math.max(slowestMs, performance.now() - started);
      const problem = answer === "cut short" ? undefined : kind.cutShort ? `expected the body cut short, got ${answer.status}` : faultAnswerProblem(answer, id);
      if (problem) problems.push(`${kind.name}: ${problem}`);
      else survived++;
    } catch (err) {
      problems.push(`${kind.name}: ${(err as Error).message}`);
    }
  };
  const pool = async (count: number, concurrency: number) => {
    let started = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count) }, async () => {
        while (started < count) await one(FAULTS[started++ % FAULTS.length]!);
      }),
    );
  };

  try {
    // Warm up (JIT, connection pools, the filter's first list), then take the baseline.
    const concurrency = options.concurrency ?? 96;
    await pool(FAULTS.length * 8, concurrency);
    survived = 0;
    problems.length = 0;
    await settle();
    const before = { fds: openFds(), rss: rssMb() };

    let storming = true;
    const secondRoute = { calls: 0, ok: 0, failures: [] as string[] };
    const poller = (async () => {
      while (storming) {
        secondRoute.calls++;
        try {
          const res = await postRpc(`${gateway.url}/f/echo`, { jsonrpc: "2.0", id: secondRoute.calls, method: "tools/call", params: { name: "echo", arguments: {} } });
          const text = await res.text();
          if (res.status === 200) secondRoute.ok++;
          else secondRoute.failures.push(`${res.status} ${text.slice(0, 200)}`);
        } catch (err) {
          secondRoute.failures.push((err as Error).message);
        }
        await Bun.sleep(10);
      }
    })();
    await pool(options.faults, concurrency);
    storming = false;
    await poller;

    await settle();
    const after = { fds: openFds(), rss: rssMb() };
    const result: StormResult = {
      faults: options.faults,
      survived,
      slowestMs: Math.round(slowestMs),
      fds: { before: before.fds, after: after.fds },
      rssMb: { before: Math.round(before.rss), after: Math.round(after.rss) },
      secondRoute,
      problems: [...new Set(problems)].slice(0, 20),
    };
    if (after.fds - before.fds > FD_BOUND) result.problems.push(`open fds grew from ${before.fds} to ${after.fds} (bound +${FD_BOUND})`);
    if (after.rss - before.rss > RSS_BOUND_MB) result.problems.push(`RSS grew from ${Math.round(before.rss)} MB to ${Math.round(after.rss)} MB (bound +${RSS_BOUND_MB} MB)`);
    if (secondRoute.calls === 0 || secondRoute.ok !== secondRoute.calls) result.problems.push(`the second route answered ${secondRoute.ok} of ${secondRoute.calls} calls during the storm: ${secondRoute.failures.slice(0, 3).join("; ")}`);
    say(`   ${result.survived}/${result.faults} faults answered with a JSON-RPC error; slowest ${result.slowestMs} ms (requestTimeoutMs ${STORM_LIMITS.requestTimeoutMs})`);
    say(`   fds ${result.fds.before} → ${result.fds.after}; RSS ${result.rssMb.before} → ${result.rssMb.after} MB; second route ${secondRoute.ok}/${secondRoute.calls} answered`);
    return result;
  } finally {
    if (!options.storm) await storm.stop();
  }
}
