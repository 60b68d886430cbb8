import type { Socket } from "bun";
import { join } from "node:path";
import { ROUTE_PATH, startGatewayBinary, writeBenchProject } from "./mcpgw.ts";
import { PROTOCOL_VERSION, REQUEST_BODIES } from "./messages.ts";
import { fdCount, openFileLimit, sampleProcess } from "./procstat.ts";
import { LISTENING_LINE, spawnManaged, type ManagedProcess } from "./processes.ts";
import { table } from "./report.ts";
import { STATS_PATH, type HoldStats } from "./upstreams.ts";

// Many concurrent open SSE streams through one mcpgw process. The upstream (sse-hold) answers each POST
// with an event stream that never ends, only a comment every 4 s; the client opens the streams over raw
// sockets (no fetch() pool in the way) in batches, holds them past Bun's 10 s idle timeout, then closes
// them all and checks that the gateway lets go of every upstream stream and file descriptor.
// Bun's fetch() runs at most BUN_CONFIG_MAX_HTTP_REQUESTS (default 256) requests at once, so mcpgw as
// shipped holds at most that many upstream streams; the "raised" variant sets it above the stream count.

export interface SseVariant {
  readonly name: string;
  readonly env: Record<string, string>;
}

export interface SseStreamsResult {
  readonly variant: string;
  readonly requested: number;
  readonly connected: number;
  /** Got 200 and the first event through the gateway. */
  readonly established: number;
  readonly failed: number;
  readonly establishSeconds: number;
  /** Established streams still open after the hold, and how many of those received a keepalive during it. */
  readonly aliveAfterHold: number;
  readonly pingedDuringHold: number;
  readonly holdSeconds: number;
  readonly baseRssMiB: number;
  readonly peakRssMiB: number;
  /** RSS growth per client connection held open (established or still waiting for the upstream). */
  readonly rssPerConnectionKiB: number;
  readonly baseFds: number;
  readonly peakFds: number;
  readonly upstreamOpenAtPeak: number;
  /** After closing every client socket and waiting: what is still open. */
  readonly upstreamOpenAfterClose: number;
  readonly fdsAfterClose: number;
  readonly closeSeconds: number;
  readonly note?: string;
}

interface StreamState {
  socket?: Socket<undefined>;
  head: string;
  established: boolean;
  failed: boolean;
  closed: boolean;
  pings: number;
}

async function holdStats(upstreamUrl: string): Promise<HoldStats> {
  return (await (await fetch(new URL(STATS_PATH, upstreamUrl))).json()) as HoldStats;
}

function openStream(origin: URL, state: StreamState): Promise<void> {
  const body = REQUEST_BODIES["tools/call"];
  const request =
    `POST ${ROUTE_PATH} HTTP/1.1\r\nHost: ${origin.host}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n` +
    `Mcp-Protocol-Version: ${PROTOCOL_VERSION}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return Bun.connect({
    hostname: origin.hostname,
    port: Number(origin.port),
    socket: {
      open(socket) {
        state.socket = socket;
        socket.write(request);
      },
      data(_socket, chunk) {
        const text = chunk.toString();
        if (!state.established) {
          state.head += text;
          if (!state.head.startsWith("HTTP/1.1 200") && state.head.includes("\r\n")) state.failed = true;
          else if (state.head.includes(": open")) state.established = true;
          return;
        }
        state.pings += text.split(": ping").length - 1;
      },
      close() {
        state.closed = true;
        if (!state.established) state.failed = true;
      },
      error() {
        state.failed = true;
      },
    },
  }).then(
    () => undefined,
    () => {
      state.failed = true;
    },
  );
}

async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await done()) return true;
    await Bun.sleep(stepMs);
  }
  return done();
}

export interface SseOptions {
  readonly binary: string;
  readonly bun: string;
  readonly root: string;
  readonly dir: string;
  readonly streams: number;
  readonly holdSeconds: number;
  readonly batch: number;
  readonly say: (line: string) => void;
}

/** A shell that raises its soft fd limit to the hard one, then execs the command (keeps the pid). */
function withFdLimit(hard: number) {
  return (cmd: string[]) => ["bash", "-c", `ulimit -n ${Number.isFinite(hard) ? hard : "unlimited"} && exec "$@"`, "mcpgw", ...cmd];
}

export async function measureSseStreams(options: SseOptions, variant: SseVariant): Promise<SseStreamsResult> {
  const self = openFileLimit("self");
  const note: string[] = [];
  let streams = options.streams;
  // The client holds one socket per stream; the gateway two (client side and upstream side).
  if (self.soft < streams + 200) {
    streams = Math.max(0, self.soft - 200);
    note.push(`capped at ${streams} streams: this process may open ${self.soft} files (ulimit -n)`);
  }
  const wrap = self.hard > self.soft ? withFdLimit(self.hard) : (cmd: string[]) => cmd;
  const upstream = await spawnManaged({
    name: `sse-hold-${variant.name}`,
    cmd: wrap([options.bun, join(options.root, "scripts/bench/upstreams.ts"), "sse-hold"]),
    logFile: join(options.dir, `sse-hold-${variant.name}.log`),
    ready: LISTENING_LINE,
  });
  let gateway: ManagedProcess | undefined;
  const states: StreamState[] = [];
  try {
    const upstreamUrl = upstream.ready[1]!;
    const gw = await startGatewayBinary({
      binary: options.binary,
      projectDir: writeBenchProject(upstreamUrl, "plain"),
      logFile: join(options.dir, `mcpgw-sse-streams-${variant.name}.log`),
      mode: "start",
      env: variant.env,
      name: `mcpgw-sse-streams-${variant.name}`,
      wrap,
    });
    gateway = gw.process;
    const pid = gateway.pid;
    if (openFileLimit(pid).soft < 2 * streams + 200) note.push(`mcpgw may open only ${openFileLimit(pid).soft} files; expect failures past ~${Math.floor(openFileLimit(pid).soft / 2)} streams`);
    await Bun.sleep(500);
    const base = { rssKb: sampleProcess(pid).rssKb, fds: fdCount(pid) };
    const origin = new URL(gw.origin);

    const started = performance.now();
    for (let i = 0; i < streams; i += options.batch) {
      const batch = Array.from({ length: Math.min(options.batch, streams - i) }, () => ({ head: "", established: false, failed: false, closed: false, pings: 0 }) as StreamState);
      states.push(...batch);
      await Promise.all(batch.map((s) => openStream(origin, s)));
    }
    // Wait for every stream to be answered, or for progress to stop for 3 s (e.g. a connection cap).
    let last = -1;
    let stalledSince = Date.now();
    await waitUntil(() => {
      const settled = states.filter((s) => s.established || s.failed).length;
      if (settled !== last) {
        last = settled;
        stalledSince = Date.now();
      }
      return settled === states.length || Date.now() - stalledSince > 3_000;
    }, 60_000);
    const establishSeconds = (performance.now() - started) / 1_000;
    const established = states.filter((s) => s.established).length;
    options.say(`sse streams (${variant.name}): ${established}/${streams} established in ${establishSeconds.toFixed(1)} s`);

    const pingsBefore = states.map((s) => s.pings);
    await Bun.sleep(options.holdSeconds * 1_000);
    const peak = { rssKb: sampleProcess(pid).rssKb, fds: fdCount(pid), upstream: (await holdStats(upstreamUrl)).open };
    const held = states.filter((s) => s.socket && !s.closed).length;
    const alive = states.filter((s) => s.established && !s.closed);
    const pingedDuringHold = states.filter((s, i) => s.established && !s.closed && s.pings > pingsBefore[i]!).length;

    const closing = performance.now();
    for (const s of states) s.socket?.end();
    await waitUntil(async () => (await holdStats(upstreamUrl)).open === 0 && fdCount(pid) <= base.fds + 5, 15_000, 200);
    const after = { upstream: (await holdStats(upstreamUrl)).open, fds: fdCount(pid) };
    return {
      variant: variant.name,
      requested: options.streams,
      connected: states.filter((s) => s.socket).length,
      established,
      failed: states.length - established,
      establishSeconds,
      aliveAfterHold: alive.length,
      pingedDuringHold,
      holdSeconds: options.holdSeconds,
      baseRssMiB: base.rssKb / 1024,
      peakRssMiB: peak.rssKb / 1024,
      rssPerConnectionKiB: held > 0 ? (peak.rssKb - base.rssKb) / held : Number.NaN,
      baseFds: base.fds,
      peakFds: peak.fds,
      upstreamOpenAtPeak: peak.upstream,
      upstreamOpenAfterClose: after.upstream,
      fdsAfterClose: after.fds,
      closeSeconds: (performance.now() - closing) / 1_000,
      ...(note.length ? { note: note.join("; ") } : {}),
    };
  } finally {
    for (const s of states) s.socket?.terminate();
    await gateway?.stop();
    await upstream.stop();
  }
}

export function sseStreamsMarkdown(results: readonly SseStreamsResult[]): string {
  const rows = results.map((r) => [
    r.variant,
    `${r.established} / ${r.requested}`,
    r.establishSeconds.toFixed(1),
    `${r.aliveAfterHold} after ${r.holdSeconds} s (${r.pingedDuringHold} got a keepalive)`,
    `${r.baseRssMiB.toFixed(0)} → ${r.peakRssMiB.toFixed(0)}`,
    Number.isFinite(r.rssPerConnectionKiB) ? r.rssPerConnectionKiB.toFixed(1) : "–",
    `${r.baseFds} → ${r.peakFds} → ${r.fdsAfterClose}`,
    `${r.upstreamOpenAtPeak} → ${r.upstreamOpenAfterClose}`,
    r.closeSeconds.toFixed(1),
  ]);
  const notes = results.filter((r) => r.note).map((r) => `- ${r.variant}: ${r.note}`);
  return [
    table(["variant", "established", "open s", "alive after hold", "RSS MiB base → peak", "KiB per open connection", "fds base → peak → after close", "upstream streams peak → after close", "close s"], rows),
    "",
    ...notes,
    ...(notes.length ? [""] : []),
  ].join("\n");
}
