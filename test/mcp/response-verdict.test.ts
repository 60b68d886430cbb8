import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { JsonRpcScanner, parsedVerdict } from "../../src/mcp/response-scan.ts";

// A buffered JSON answer up to 64 KiB is classified with JSON.parse (forward.ts bufferedVerdict), a
// streamed one by the byte scanner. On valid JSON-RPC both readings must give the same verdict, or the
// analytics of a call would depend on how its answer arrived.

const id = fc.oneof(fc.integer(), fc.string(), fc.constant(null));
const anyJson = fc.jsonValue({ maxDepth: 3 });
const result = fc.oneof(
  fc.record({ content: fc.array(fc.record({ type: fc.constant("text"), text: fc.string() }), { maxLength: 3 }) }),
  fc.record({ content: fc.constant([]), isError: fc.boolean() }),
  fc.record({ tools: fc.array(fc.record({ name: fc.string(), inputSchema: anyJson }), { maxLength: 3 }) }),
  anyJson,
);
const message = fc.oneof(
  fc.record({ jsonrpc: fc.constant("2.0"), id, result }),
  fc.record({ jsonrpc: fc.constant("2.0"), id, error: fc.record({ code: fc.integer({ min: -32768, max: 32767 }), message: fc.string(), data: fc.option(anyJson, { nil: undefined }) }) }),
);
const body = fc.oneof(message, fc.array(message, { minLength: 1, maxLength: 4 }));

function scanned(bytes: Uint8Array, watch: boolean) {
  const s = new JsonRpcScanner(watch);
  s.feed(bytes);
  return { responses: s.responses, errors: s.errors, toolErrors: s.toolErrors, errorCode: s.errorCode };
}

describe("response verdicts", () => {
  test("JSON.parse and the byte scanner agree on valid JSON-RPC answers", () => {
    fc.assert(
      fc.property(body, fc.boolean(), fc.boolean(), (value, watch, pretty) => {
        const bytes = new TextEncoder().encode(JSON.stringify(value, null, pretty ? 2 : undefined));
        const { value: _value, ...verdict } = parsedVerdict(bytes, watch);
        expect(verdict).toEqual(scanned(bytes, watch));
      }),
      { numRuns: 500 },
    );
  });
});
