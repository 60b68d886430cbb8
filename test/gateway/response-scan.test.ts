import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { JsonRpcScanner, parsedVerdict, type ResponseVerdict } from "../../src/mcp/response-scan.ts";
import { SseScanner } from "../../src/mcp/sse-scan.ts";

/** The verdict without the parsed body parsedVerdict also hands back. */
const withoutValue = ({ value: _value, ...verdict }: ReturnType<typeof parsedVerdict>) => verdict;

// The proxy classifies upstream answers by scanning their bytes instead of parsing them. These tests
// hold the scanner to what JSON.parse would say, for any JSON-RPC response, split into chunks anyhow.

const encode = (s: string) => new TextEncoder().encode(s);

/** What JSON.parse says about a body: the reference the scanner must agree with. */
function reference(value: unknown, watchToolErrors: boolean): ResponseVerdict {
  const verdict = { responses: 0, errors: 0, toolErrors: 0, errorCode: undefined as number | undefined };
  const messages = Array.isArray(value) ? value : [value];
  for (const m of messages) {
    if (typeof m !== "object" || m === null || Array.isArray(m)) continue;
    const o = m as Record<string, unknown>;
    if ("result" in o) {
      verdict.responses++;
      const r = o.result as Record<string, unknown> | null;
      if (watchToolErrors && typeof r === "object" && r !== null && !Array.isArray(r) && r.isError === true) verdict.toolErrors++;
    } else if (typeof o.error === "object" && o.error !== null && !Array.isArray(o.error)) {
      verdict.responses++;
      verdict.errors++;
      const code = (o.error as Record<string, unknown>).code;
      if (verdict.errorCode === undefined && typeof code === "number" && Number.isInteger(code)) verdict.errorCode = code;
    }
  }
  return verdict;
}

function scan(bytes: Uint8Array, cuts: number[], watchToolErrors: boolean): ResponseVerdict {
  const scanner = new JsonRpcScanner(watchToolErrors);
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    scanner.feed(bytes.subarray(from, cut));
    from = cut;
  }
  scanner.feed(bytes.subarray(from));
  const { responses, errors, toolErrors, errorCode } = scanner;
  return { responses, errors, toolErrors, errorCode };
}

const verdictOf = (text: string, watch = true) => scan(encode(text), [], watch);

describe("JSON-RPC response scanner", () => {
  it("finds a result, however the members are ordered", () => {
    expect(verdictOf('{"result":{"tools":[]},"jsonrpc":"2.0","id":1}')).toEqual({ responses: 1, errors: 0, toolErrors: 0, errorCode: undefined });
    expect(verdictOf('{ "jsonrpc": "2.0", "id": "a", "result": {} }')).toMatchObject({ responses: 1, errors: 0 });
  });

  it("finds an error and its code", () => {
    expect(verdictOf('{"jsonrpc":"2.0","id":1,"error":{"message":"no","code":-32602}}')).toEqual({ responses: 1, errors: 1, toolErrors: 0, errorCode: -32602 });
  });

  it("reads isError only at the top of a tools/call result", () => {
    expect(verdictOf('{"result":{"content":[{"type":"text","text":"x"}],"isError":true},"jsonrpc":"2.0","id":1}')).toMatchObject({ toolErrors: 1 });
    expect(verdictOf('{"result":{"content":[{"isError":true}],"isError":false},"jsonrpc":"2.0","id":1}')).toMatchObject({ toolErrors: 0 });
    expect(verdictOf('{"result":{"isError":true},"id":1}', false)).toMatchObject({ toolErrors: 0, responses: 1 });
  });

  it("is not fooled by error-looking keys and strings inside a result", () => {
    const text = JSON.stringify({ result: { structuredContent: { error: { code: 1 } }, content: [{ type: "text", text: '{"error":{"code":-1}}' }] }, jsonrpc: "2.0", id: 1 });
    expect(verdictOf(text)).toEqual({ responses: 1, errors: 0, toolErrors: 0, errorCode: undefined });
  });

  it("counts each message of a batch", () => {
    expect(verdictOf('[{"jsonrpc":"2.0","id":1,"result":{}},{"jsonrpc":"2.0","id":2,"error":{"code":-32601,"message":"x"}}]')).toEqual({ responses: 2, errors: 1, toolErrors: 0, errorCode: -32601 });
  });

  it("finds nothing in JSON that is not a response, or in HTML", () => {
    expect(verdictOf('{"hello":"world"}').responses).toBe(0);
    expect(verdictOf('{"jsonrpc":"2.0","method":"notifications/message","params":{"error":{"code":1}}}').responses).toBe(0);
    expect(verdictOf("<html><body>500</body></html>").responses).toBe(0);
    expect(verdictOf('{"error":"invalid_token"}').responses).toBe(0);
  });

  it("misses a key spelled with escapes, which the JSON.parse second opinion catches", () => {
    const text = '{"jsonrpc":"2.0","id":1,"res\\u0075lt":{"isError":true}}';
    expect(JSON.parse(text)).toHaveProperty("result");
    expect(verdictOf(text).responses).toBe(0);
    expect(withoutValue(parsedVerdict(encode(text), true))).toEqual({ responses: 1, errors: 0, toolErrors: 1, errorCode: undefined });
    expect(parsedVerdict(encode("<html>"), true).responses).toBe(0);
  });

  it("survives escapes split across chunks", () => {
    const text = '{"result":{"text":"a\\"b\\\\"},"isError":1,"jsonrpc":"2.0","id":1}';
    const bytes = encode(text);
    for (let cut = 0; cut <= bytes.length; cut++) expect(scan(bytes, [cut], true)).toEqual(reference(JSON.parse(text), true));
  });

  const id = fc.oneof(fc.integer(), fc.string());
  const extraKey = fc.string().filter((k) => k !== "result" && k !== "error" && k !== "__proto__");
  const resultValue = fc.oneof(fc.jsonValue(), fc.record({ content: fc.jsonValue(), isError: fc.oneof(fc.boolean(), fc.jsonValue()) }, { requiredKeys: [] }));
  const errorValue = fc.oneof(
    fc.record({ code: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string()), message: fc.string(), data: fc.jsonValue() }, { requiredKeys: ["code"] }),
    fc.jsonValue(),
  );
  const message = fc
    .tuple(id, fc.oneof(fc.tuple(fc.constant("result"), resultValue), fc.tuple(fc.constant("error"), errorValue)), fc.dictionary(extraKey, fc.jsonValue(), { maxKeys: 3 }))
    .chain(([idValue, member, extra]) =>
      fc.shuffledSubarray([["jsonrpc", "2.0"], ["id", idValue], member, ...Object.entries(extra)] as [string, unknown][], { minLength: 3 + Object.keys(extra).length }).map((entries) => Object.fromEntries(entries)),
    );
  const body = fc.oneof(message, fc.array(message, { minLength: 1, maxLength: 4 }));

  it("agrees with JSON.parse on any response, pretty-printed or not, in any chunks", () => {
    fc.assert(
      fc.property(body, fc.constantFrom(undefined, 2, "\t"), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), (value, indent, cuts, watch) => {
        const bytes = encode(JSON.stringify(value, null, indent));
        expect(scan(bytes, cuts, watch)).toEqual(reference(JSON.parse(new TextDecoder().decode(bytes)), watch));
      }),
      { numRuns: 500 },
    );
  });
});

describe("SSE scanner", () => {
  const sseVerdict = (text: string, cuts: number[] = []) => {
    const scanner = new SseScanner(true);
    const bytes = encode(text);
    let from = 0;
    for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
      scanner.feed(bytes.subarray(from, cut));
      from = cut;
    }
    scanner.feed(bytes.subarray(from));
    return scanner;
  };

  it("skips the priming event and notifications, and takes the response", () => {
    const s = sseVerdict(
      'id: 0\ndata: \n\n: a comment\nevent: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\nevent: message\nid: 2\ndata: {"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"boom"}}\n\n',
    );
    expect(s.events).toBe(3);
    expect(s.response).toEqual({ responses: 1, errors: 1, toolErrors: 0, errorCode: -32603 });
  });

  it("joins multi-line data and accepts CRLF and CR line ends", () => {
    expect(sseVerdict('data: {"jsonrpc":"2.0",\r\ndata: "id":1,\r\ndata: "result":{"isError":true}}\r\n\r\n').response).toMatchObject({ responses: 1, toolErrors: 1 });
    expect(sseVerdict('data:{"result":{},"id":1}\r\r').response).toMatchObject({ responses: 1 });
  });

  it("does not dispatch an event the stream never finished", () => {
    expect(sseVerdict('data: {"jsonrpc":"2.0","id":1,"result":{}}\n').response).toBeUndefined();
  });

  it("reads a stream the same in any chunks", () => {
    const text = 'id: p\ndata: \n\nevent: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"data":"a\\nb"}}\r\n\r\ndata: {"result":{"content":[],"isError":true},\ndata: "jsonrpc":"2.0","id":7}\n\n';
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 8 }), (cuts) => {
        const s = sseVerdict(text, cuts);
        expect(s.events).toBe(3);
        expect(s.response).toEqual({ responses: 1, errors: 0, toolErrors: 1, errorCode: undefined });
      }),
      { numRuns: 300 },
    );
  });
});
