import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { foldMemberName, inspectJsonShape, READ_MEMBERS, type JsonShapeLimits } from "../../src/mcp/json-members.ts";

// The byte-level check that runs before JSON.parse (issue 18). The reference here builds documents as
// member lists (so duplicates can exist, which JSON.parse would hide), knows by construction which
// names collide, and says what the verdict must be; the scanner must agree however the same document is
// spaced or escaped. test/e2e/parser-differential.test.ts holds the folding to Go's own tables.

const LIMITS: JsonShapeLimits = { maxJsonDepth: 16, maxBatchSize: 8 };
const RUNS = { seed: 18, numRuns: 400 } as const;
const encode = (s: string) => new TextEncoder().encode(s);
const inspect = (s: string, limits = LIMITS) => inspectJsonShape(encode(s), limits);

/** Member names with a known collision class: same class = some decoder reads them as one name. */
const POOL: readonly (readonly [string, string])[] = [
  ["name", "name"], ["NAME", "name"], ["Name", "name"],
  ["params", "params"], ["PARAMS", "params"], ["param\u017f", "params"],
  ["method", "method"], ["Method", "method"],
  ["id", "id"], ["ID", "id"], ["\u0131d", "id"], ["\u0130d", "id"],
  ["ref", "ref"], ["REF", "ref"], ["uri", "uri"], ["URI", "uri"], ["type", "type"],
  ["key", "key"], ["\u212Aey", "key"], ["KEY", "key"],
  ["\u00df", "sharp-s"], ["\u1e9e", "sharp-s"],
  ["\u00e5", "a-ring"], ["\u212b", "a-ring"], ["\u00c5", "a-ring"],
  ["\u03c3", "sigma"], ["\u03c2", "sigma"], ["\u03a3", "sigma"],
];
const CLASS = new Map(POOL);
/** Names with no letters cannot fold into anything else: their class is themselves. */
const plainName = fc.string({ unit: fc.constantFrom(..."0123456789_-.:/$ ".split("")), maxLength: 4 });
const memberName = fc.oneof(fc.constantFrom(...POOL.map(([n]) => n)), plainName);
const classOf = (name: string) => CLASS.get(name) ?? `plain:${name}`;

type Node = { readonly kind: "scalar"; readonly text: string } | { readonly kind: "array"; readonly items: readonly Node[] } | { readonly kind: "object"; readonly members: readonly (readonly [string, Node])[] };

const scalar = fc.oneof(fc.constantFrom("1", "-2.5e3", "true", "false", "null"), fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)));
const { node } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar.map((text): Node => ({ kind: "scalar", text })),
    fc.array(tie("node"), { maxLength: 4 }).map((items): Node => ({ kind: "array", items })),
    fc.array(fc.tuple(memberName, tie("node")), { maxLength: 4 }).map((members): Node => ({ kind: "object", members })),
  ),
}));

/** Whether a document carries a problem, by construction (not by the code under test). */
const readBy: Record<string, readonly string[]> = READ_MEMBERS;
function ambiguous(n: Node, level: "message" | "params" | "ref" | "other"): boolean {
  if (n.kind === "scalar") return false;
  if (n.kind === "array") return n.items.some((item) => ambiguous(item, "other"));
  const classes = n.members.map(([name]) => classOf(name));
  if (new Set(classes).size !== classes.length) return true;
  if (level !== "other") {
    for (const [name] of n.members) {
      const read = readBy[level]!.find((r) => classOf(r) === classOf(name));
      if (read !== undefined && read !== name) return true;
    }
  }
  return n.members.some(([name, value]) => ambiguous(value, level === "message" && name === "params" ? "params" : level === "params" && name === "ref" ? "ref" : "other"));
}
const ambiguousDocument = (n: Node) => (n.kind === "array" ? n.items.some((item) => ambiguous(item, "message")) : ambiguous(n, "message"));

function depthOf(n: Node): number {
  if (n.kind === "scalar") return 0;
  const children = n.kind === "array" ? n.items : n.members.map(([, v]) => v);
  return 1 + Math.max(0, ...children.map(depthOf));
}

/** Serialise with chosen spacing and, per name, \u-escaping of some characters: the same document to every decoder. */
function serialize(n: Node, space: string, escape: (i: number) => boolean): string {
  let counter = 0;
  const name = (s: string) => {
    let out = "";
    for (const ch of s) out += escape(counter++) ? ch.split("").map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("") : JSON.stringify(ch).slice(1, -1);
    return `"${out}"`;
  };
  const go = (m: Node): string => {
    if (m.kind === "scalar") return m.text;
    if (m.kind === "array") return `[${space}${m.items.map(go).join(`,${space}`)}${space}]`;
    return `{${space}${m.members.map(([k, v]) => `${name(k)}${space}:${space}${go(v)}`).join(`,${space}`)}${space}}`;
  };
  return go(n);
}

const spacing = fc.constantFrom("", " ", "\n\t", "\r\n  ");

describe("JSON member check (parser differential)", () => {
  it("refuses exactly the documents with colliding or case-variant read members, however spaced or escaped", () => {
    fc.assert(
      fc.property(node, spacing, fc.func(fc.boolean()), (doc, space, escape) => {
        fc.pre(depthOf(doc) <= LIMITS.maxJsonDepth && !(doc.kind === "array" && doc.items.length > LIMITS.maxBatchSize));
        const verdict = inspect(serialize(doc, space, escape));
        expect(verdict?.kind === "ambiguous_member").toBe(ambiguousDocument(doc));
      }),
      RUNS,
    );
  });

  it("refuses nesting deeper than maxJsonDepth and nothing shallower", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.constantFrom("[", '{"a":'), { minLength: 40, maxLength: 40 }), (depth, opens) => {
        const used = opens.slice(0, depth);
        const text = used.join("") + "1" + used.reverse().map((o) => (o === "[" ? "]" : "}")).join("");
        expect(inspect(text)?.kind === "too_deep").toBe(depth > LIMITS.maxJsonDepth);
      }),
      RUNS,
    );
  });

  it("refuses batches longer than maxBatchSize and accepts shorter ones", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), spacing, (length, space) => {
        const text = `[${Array.from({ length }, (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"ping"}`).join(`,${space}`)}]`;
        expect(inspect(text)?.kind === "batch_too_large").toBe(length > LIMITS.maxBatchSize);
      }),
      RUNS,
    );
  });

  it("agrees with JSON.parse on every JSON value: a collision only where two keys fold together", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        const collides = (v: unknown): boolean => {
          if (Array.isArray(v)) return v.some(collides);
          if (typeof v !== "object" || v === null) return false;
          const keys = Object.keys(v);
          return new Set(keys.map(foldMemberName)).size !== keys.length || Object.values(v).some(collides);
        };
        const verdict = inspect(text, { maxJsonDepth: 100, maxBatchSize: 1e9 });
        if (verdict === undefined) expect(collides(value)).toBe(false);
        else if (verdict.kind === "ambiguous_member" && !collides(value)) {
          // Only a read member in a case variant may be refused without a collision.
          expect(verdict.detail).toContain("only by case");
        }
      }),
      RUNS,
    );
  });

  it("never throws and ends on any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        inspectJsonShape(bytes, LIMITS);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."{}[]\":,\\u0a \u017f".split("")), maxLength: 80 }), (text) => {
        inspect(text);
      }),
      RUNS,
    );
  });

  it("refuses the issue's exploits and accepts honest MCP messages", () => {
    const kind = (s: string) => inspect(s, { maxJsonDepth: 64, maxBatchSize: 32 })?.kind;
    expect(kind('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","NAME":"secret_tool"}}')).toBe("ambiguous_member");
    expect(kind('{"jsonrpc":"2.0","id":3,"method":"tools/call","param\u017f":{"name":"secret_tool"}}')).toBe("ambiguous_member");
    expect(kind('{"method":"tools/list","Method":"tools/call","jsonrpc":"2.0","id":1}')).toBe("ambiguous_member");
    expect(kind('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","name":"secret_tool"}}')).toBe("ambiguous_member");
    expect(kind('{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","NAME":"hidden"},"argument":{"name":"a","value":""}}}')).toBe("ambiguous_member");
    // Tool arguments are the tool's own: any names, even ones that look like JSON-RPC's, in any case.
    expect(kind('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create","arguments":{"ID":7,"Name":"x","Method":"y"}}}')).toBeUndefined();
    expect(kind('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}')).toBeUndefined();
    expect(kind('{"jsonrpc":"2.0","id":"a\\"b","method":"tools/call","params":{"name":"x\\\\","arguments":{"text":"\\"NAME\\":1"}}}')).toBeUndefined();
  });

  it("folds the characters case-insensitive decoders fold", () => {
    expect(foldMemberName("param\u017f")).toBe("params");
    expect(foldMemberName("\u212Aey")).toBe("key");
    expect(foldMemberName("\u0130D")).toBe(foldMemberName("id"));
    expect(foldMemberName("\u0131d")).toBe(foldMemberName("id"));
    expect(foldMemberName("\u00df")).toBe(foldMemberName("\u1e9e"));
    expect(foldMemberName("\u00df")).not.toBe(foldMemberName("ss"));
  });
});
