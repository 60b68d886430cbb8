import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import diagnosticsChannel from "node:diagnostics_channel";
import { createLogger, type LogFields } from "../../src/log/logger.ts";
import { quote } from "../../src/log/line-format.ts";

// The direct formatter (src/log/line-format.ts) must write exactly what pino writes. A subscriber on
// pino's "pino_asJson" tracing channel sends every line through pino, so the same logger call is made
// twice, once per path, and the two lines compared byte for byte, over generated fields and messages.

function linesOf(run: (log: ReturnType<typeof createLogger>) => void): string[] {
  const lines: string[] = [];
  run(createLogger({ level: "trace", sink: { write: (line) => lines.push(line) } }));
  return lines;
}

function viaPino(run: (log: ReturnType<typeof createLogger>) => void): string[] {
  const handlers = { start: () => undefined };
  const channel = diagnosticsChannel.tracingChannel("pino_asJson");
  channel.subscribe(handlers);
  try {
    return linesOf(run);
  } finally {
    channel.unsubscribe(handlers);
  }
}

/** Both paths read the clock; the time member is the one thing allowed to differ (a millisecond apart). */
const withoutTime = (line: string) => line.replace(/,"time":"[^"]+"/, ',"time":"T"');

const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom("", "a\"b", "back\\slash", "tab\there", "line\nbreak", "\u0000", "\ud800", "😀", "→", "Bearer abcdefghijkl"));
const scalar = fc.oneof(text, fc.double(), fc.integer(), fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e21, 5e-324), fc.boolean(), fc.constant(null), fc.constant(undefined));
const key = fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom("token", "authorization", "msg", "level", "time", "requestId", "serializers", "customLevels", "a\"b"));
const fields = fc.dictionary(key.filter((k) => k !== "event"), scalar, { maxKeys: 8, noNullPrototype: true });

describe("direct line formatter", () => {
  test("writes what pino writes, byte for byte, for any scalar fields, bindings and message", () => {
    fc.assert(
      fc.property(fields, fields, text, text, fc.constantFrom("trace", "debug", "info", "warn", "error"), (bindings, f, event, msg, level) => {
        const run = (log: ReturnType<typeof createLogger>) => log.child(bindings as LogFields).child({ requestId: "r-1" })[level](event, msg, f as LogFields);
        const direct = linesOf(run).map(withoutTime);
        const pino = viaPino(run).map(withoutTime);
        expect(direct).toEqual(pino);
      }),
      { numRuns: 400 },
    );
  });

  test("a line with a nested value goes through pino and is still one valid JSON line", () => {
    const lines = linesOf((log) => log.info("nested", "with an object", { a: { b: [1, 2] }, token: "at_secretsecretsecret" }));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: "nested", a: { b: [1, 2] }, token: "[redacted]" });
  });

  test("quote() is JSON.stringify for every string", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => expect(quote(s)).toBe(JSON.stringify(s))));
  });
});
