import diagnosticsChannel from "node:diagnostics_channel";

// Bun 1.4's TracingChannel has no `hasSubscribers` (Node has had it since 20.13/22.0). pino asks
// `asJsonChan.hasSubscribers === false` before every line to skip its tracing wrapper; under Bun the
// answer is `undefined`, so every line pino writes went through traceSync and its store bookkeeping:
// measured (one process, alternating), 0.3–0.8 µs of a 1.4–2.2 µs line. Most lines no longer reach
// pino's formatter (line-format.ts); those that do still take the fast path. This adds the getter exactly as Node defines it
// (any of the five channels has a subscriber), and only where it is missing.

interface TracingChannelLike {
  start: { hasSubscribers: boolean };
  end: { hasSubscribers: boolean };
  asyncStart: { hasSubscribers: boolean };
  asyncEnd: { hasSubscribers: boolean };
  error: { hasSubscribers: boolean };
}

export function installTracingChannelShim(): boolean {
  const prototype = Object.getPrototypeOf(diagnosticsChannel.tracingChannel("mcpgw_probe")) as object;
  if ("hasSubscribers" in prototype) return false;
  Object.defineProperty(prototype, "hasSubscribers", {
    configurable: true,
    get(this: TracingChannelLike): boolean {
      return this.start.hasSubscribers || this.end.hasSubscribers || this.asyncStart.hasSubscribers || this.asyncEnd.hasSubscribers || this.error.hasSubscribers;
    },
  });
  return true;
}

installTracingChannelShim();
