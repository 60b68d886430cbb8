import { describe, expect, test } from "bun:test";
import diagnosticsChannel from "node:diagnostics_channel";
import { createLogger } from "../../src/log/logger.ts";

// pino skips its per-line tracing when nobody listens, by asking TracingChannel#hasSubscribers, which
// Bun 1.4 lacks; src/log/tracing-channel-shim.ts adds it. Both sides matter: nobody listening → false
// (the fast path), a subscriber → true (tracing still works for whoever subscribes).

describe("TracingChannel hasSubscribers shim", () => {
  test("false without subscribers, true with one, false again after unsubscribing", () => {
    createLogger({ sink: { write: () => undefined } });
    const channel = diagnosticsChannel.tracingChannel("mcpgw_shim_test");
    expect(channel.hasSubscribers).toBe(false);
    const handlers = { start: () => undefined };
    channel.subscribe(handlers);
    expect(channel.hasSubscribers).toBe(true);
    channel.unsubscribe(handlers);
    expect(channel.hasSubscribers).toBe(false);
  });

  test("pino's line tracing still reaches a subscriber, and lines are unchanged", () => {
    const lines: string[] = [];
    const log = createLogger({ sink: { write: (line) => lines.push(line) } });
    const traced: unknown[] = [];
    const handlers = { start: (message: unknown) => traced.push(message) };
    const channel = diagnosticsChannel.tracingChannel("pino_asJson");
    log.info("untraced_event", "before subscribing");
    expect(traced).toHaveLength(0);
    channel.subscribe(handlers);
    try {
      log.info("traced_event", "while subscribed", { n: 1 });
    } finally {
      channel.unsubscribe(handlers);
    }
    expect(traced).toHaveLength(1);
    expect(lines.map((l) => JSON.parse(l).event)).toEqual(["untraced_event", "traced_event"]);
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: "info", event: "traced_event", msg: "while subscribed", n: 1 });
  });
});
