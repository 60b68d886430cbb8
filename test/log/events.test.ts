import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import diagnosticsChannel from "node:diagnostics_channel";
import { createLogger, type Logger } from "../../src/log/logger.ts";
import type { Completion } from "../../src/mcp/completion.ts";
import type { McpCall } from "../../src/mcp/jsonrpc.ts";
import { LogSink } from "../../src/observe/log-sink.ts";
import { Observer } from "../../src/observe/observer.ts";

/** The completion event through an observer whose only sink is the log stream, on the scope's logger. */
function invocationCompleted(scope: { log: Logger; fields: Record<string, unknown>; startedAt: number; request: Request }, call: McpCall, completion: Completion): void {
  new Observer([new LogSink(scope.log)]).invocationCompleted({ ...scope, requestId: "r-1", httpMethod: scope.request.method }, call, completion);
}

// capability_invocation_completed is rendered field by field (log-sink.ts completedMembers) rather than
// from a spread object. The fields must be the ones the object form gives: the request's fields without
// operationId (bound on the logger), the call, the completion, latencies rounded to µs. The expectation
// is built here the plain way and logged through the generic path; both lines are parsed and compared.

const text = fc.oneof(fc.string(), fc.constantFrom("echo", "a\"b", "line\nbreak", "→", "😀", "Bearer abcdefghijkl", "x at_0123456789abcdefghij y", "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.sig"));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const call: fc.Arbitrary<McpCall> = fc.record({
  kind: fc.constantFrom("request", "notification", "response", "batch"),
  id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
  mcpMethod: maybe(fc.constantFrom("tools/call", "tools/list", "initialize", "batch")),
  capabilityName: maybe(text),
  clientName: maybe(text),
});
const completion: fc.Arbitrary<Completion> = fc.record(
  {
    outcome: fc.constantFrom("success", "application_error", "failure", "denied", "cancelled", "partial", "redirected"),
    mcpStatus: fc.constantFrom("result", "tool_error", "error", "accepted", "none"),
    httpStatus: fc.integer({ min: 100, max: 599 }),
    upstreamStatus: fc.integer({ min: 100, max: 599 }),
    upstreamContentType: text,
    failureOrigin: fc.constantFrom("client", "upstream", "gateway"),
    reasonCode: text,
    jsonRpcErrorCode: fc.integer({ min: -32768, max: -32000 }),
    responseType: fc.constantFrom("json", "sse", "empty", "other"),
    sseEvents: fc.nat(),
    upstreamError: text,
    upstreamMs: fc.double({ min: 0, max: 1e5, noNaN: true }),
  },
  { requiredKeys: ["outcome", "mcpStatus", "httpStatus", "upstreamMs"] },
) as fc.Arbitrary<Completion>;
const requestFields = fc.record({ operationId: fc.constant("op"), subjectId: maybe(text), upstreamServerId: maybe(text) }, { requiredKeys: ["operationId"] });

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ sink: { write: (l) => lines.push(l) } }).child({ operationId: "op" }).child({ requestId: "r-1" }), lines };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

describe("capability_invocation_completed", () => {
  test("carries exactly the fields of the object form", () => {
    fc.assert(
      fc.property(requestFields, call, completion, (fields, c, done) => {
        const fast = capture();
        const startedAt = performance.now() - 5;
        invocationCompleted({ log: fast.log, fields, startedAt, request: new Request("http://x/") }, c, done);
        const got = JSON.parse(fast.lines[0]!) as Record<string, unknown>;

        const plain = capture();
        const latencyMs = got.latencyMs as number; // the clock is read inside; take its reading
        plain.log.info("capability_invocation_completed", `${c.mcpMethod ?? c.kind}${c.capabilityName ? ` ${c.capabilityName}` : ""} → ${done.outcome}`, {
          ...fields,
          operationId: undefined,
          mcpMethod: c.mcpMethod,
          capabilityName: c.capabilityName,
          clientName: c.clientName,
          messageKind: c.kind,
          ...done,
          latencyMs,
          gatewayMs: round(latencyMs - done.upstreamMs),
          upstreamMs: round(done.upstreamMs),
        });
        const want = JSON.parse(plain.lines[0]!) as Record<string, unknown>;
        delete want.time;
        delete got.time;
        // gatewayMs is computed from the unrounded latency inside; allow the rounding step.
        expect(Math.abs((got.gatewayMs as number) - (want.gatewayMs as number))).toBeLessThanOrEqual(0.0011);
        delete got.gatewayMs;
        delete want.gatewayMs;
        expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  test("goes through pino, with the same fields, while someone traces pino's lines", () => {
    const done: Completion = { outcome: "success", mcpStatus: "result", httpStatus: 200, upstreamStatus: 200, responseType: "json", upstreamMs: 1.5 };
    const c: McpCall = { kind: "request", id: 1, mcpMethod: "tools/call", capabilityName: "echo", clientName: undefined };
    const direct = capture();
    invocationCompleted({ log: direct.log, fields: { operationId: "op", subjectId: "alice" }, startedAt: performance.now(), request: new Request("http://x/") }, c, done);
    const traced: unknown[] = [];
    const handlers = { start: (m: unknown) => traced.push(m) };
    const channel = diagnosticsChannel.tracingChannel("pino_asJson");
    channel.subscribe(handlers);
    const viaPino = capture();
    try {
      invocationCompleted({ log: viaPino.log, fields: { operationId: "op", subjectId: "alice" }, startedAt: performance.now(), request: new Request("http://x/") }, c, done);
    } finally {
      channel.unsubscribe(handlers);
    }
    expect(traced).toHaveLength(1);
    const strip = (line: string) => {
      const o = JSON.parse(line) as Record<string, unknown>;
      delete o.time;
      delete o.latencyMs;
      delete o.gatewayMs;
      return o;
    };
    expect(strip(viaPino.lines[0]!)).toEqual(strip(direct.lines[0]!));
    expect(strip(direct.lines[0]!)).toMatchObject({ event: "capability_invocation_completed", operationId: "op", requestId: "r-1", subjectId: "alice", capabilityName: "echo", upstreamMs: 1.5 });
  });

  test("a value remembered as clean is redacted once it becomes a secret", () => {
    const { log, lines } = capture();
    const done: Completion = { outcome: "success", mcpStatus: "result", httpStatus: 200, upstreamMs: 1 };
    const c: McpCall = { kind: "request", id: 1, mcpMethod: "tools/call", capabilityName: "tool-named-like-a-key-9f8e7d", clientName: undefined };
    const ctx = { log, fields: { operationId: "op" }, startedAt: performance.now(), request: new Request("http://x/") };
    invocationCompleted(ctx, c, done);
    log.secrets.add("tool-named-like-a-key-9f8e7d");
    invocationCompleted(ctx, c, done);
    expect(JSON.parse(lines[0]!).capabilityName).toBe("tool-named-like-a-key-9f8e7d");
    expect(lines[1]).not.toContain("tool-named-like-a-key-9f8e7d");
    expect(JSON.parse(lines[1]!).capabilityName).toBe("[redacted]");
  });
});
