import fc from "fast-check";
import { mcpShape, readAnswer, stackTrace, type Answer } from "../kit/outcome.ts";
import { ALLOWED_PROMPTS, ALLOWED_RESOURCES, ALLOWED_TOOLS, HIDDEN_PROMPTS, HIDDEN_RESOURCES, HIDDEN_TOOLS, runsInBody } from "../kit/recording-upstream.ts";
import { FILTER_ROUTE, FULL_ROUTE, FUZZ_PROXY_LIMITS, UNFILTERED_ROUTE, type FuzzTarget } from "../kit/target.ts";
import { withWatchdog } from "../kit/watchdog.ts";
import { checkProperty, prng, type FuzzProperty } from "./property.ts";

// JSON-RPC bodies an attacker would send an MCP route: valid calls to allowed and hidden capabilities,
// member names that differ by case or Unicode folding, duplicates, deep nesting, oversized strings,
// long batches, wrong types, and bytes that are not UTF-8 or not JSON at all. Documents are built as
// member lists (so duplicates survive) and serialised with random spacing and \u-escaped names.

type Node =
  | { readonly kind: "raw"; readonly text: string }
  | { readonly kind: "array"; readonly items: readonly Node[] }
  | { readonly kind: "object"; readonly members: readonly (readonly [string, Node])[] };

const raw = (text: string): Node => ({ kind: "raw", text });
const str = (s: string): Node => raw(JSON.stringify(s));

/** Spellings some decoder folds into `name`: case, ſ (U+017F) for s, K (U+212A) for k. */
function spellings(name: string): fc.Arbitrary<string> {
  const folded = [name.toUpperCase(), name[0]!.toUpperCase() + name.slice(1), name.replace(/s/g, "\u017f"), name.replace(/k/g, "\u212a"), name.replace(/i/g, "\u0130")];
  return fc.oneof({ weight: 30, arbitrary: fc.constant(name) }, { weight: 1, arbitrary: fc.constantFrom(...new Set(folded)) });
}

/** `arb` in `percent` of the cases, else nothing. */
const sometimes = <T>(arb: fc.Arbitrary<T>, percent: number) => fc.oneof({ weight: 100 - percent, arbitrary: fc.constant(undefined) }, { weight: percent, arbitrary: arb });

const anyString = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 12 }), fc.constantFrom("", "\u0000", "\ud800", "\u202e", "<script>"));
const scalar: fc.Arbitrary<Node> = fc.oneof(
  fc.constantFrom("null", "true", "false", "0", "-1", "1e400", "-0", "1.5e-9", "9007199254740993").map(raw),
  anyString.map(str),
);
const { value: jsonValue } = fc.letrec<{ value: Node }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 4 }).map((items): Node => ({ kind: "array", items })),
    fc.array(fc.tuple(anyString, tie("value")), { maxLength: 4 }).map((members): Node => ({ kind: "object", members })),
  ),
}));

/** A value nested `depth` levels deep (arrays or objects). */
const nested = fc.tuple(fc.integer({ min: 1, max: 80 }), fc.boolean(), jsonValue).map(([depth, arrays, inner]) => {
  let node = inner;
  for (let i = 0; i < depth; i++) node = arrays ? { kind: "array", items: [node] } : { kind: "object", members: [["a", node]] };
  return node;
});
const big = fc.integer({ min: 1, max: 96 * 1024 }).map((n) => str("x".repeat(n)));
const argumentValue = fc.oneof({ weight: 12, arbitrary: jsonValue }, { weight: 1, arbitrary: nested }, { weight: 1, arbitrary: big });

const toolNames = [...ALLOWED_TOOLS, ...HIDDEN_TOOLS];
const promptNames = [...ALLOWED_PROMPTS, ...HIDDEN_PROMPTS];
const resourceUris = [...ALLOWED_RESOURCES, ...HIDDEN_RESOURCES];
const METHODS = ["tools/call", "tools/list", "prompts/get", "prompts/list", "resources/read", "resources/list", "resources/templates/list", "initialize", "notifications/initialized", "ping", "completion/complete"];

const target = fc.oneof(fc.constantFrom(...toolNames, ...promptNames), anyString);
const member = (name: string, value: fc.Arbitrary<Node>) => fc.tuple(spellings(name), value);

const params: fc.Arbitrary<Node> = fc
  .tuple(
    sometimes(member("name", fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...toolNames, ...promptNames).map(str) }, { weight: 1, arbitrary: target.map(str) }, { weight: 1, arbitrary: scalar })), 85),
    sometimes(member("uri", fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...resourceUris).map(str) }, { weight: 1, arbitrary: anyString.map(str) })), 30),
    sometimes(member("arguments", argumentValue), 60),
    fc.array(fc.tuple(anyString, jsonValue), { maxLength: 2 }).chain((extra) => sometimes(fc.constant(extra), 15)).map((extra) => extra ?? []),
    /** A second `name`/`uri` (a duplicate or a folded twin) naming something hidden. */
    sometimes(fc.tuple(fc.constantFrom("name", "uri"), fc.constantFrom(...HIDDEN_TOOLS, ...HIDDEN_PROMPTS, ...HIDDEN_RESOURCES)), 10),
  )
  .chain(([name, uri, args, extra, twin]) =>
    (twin ? spellings(twin[0]).map((spelling) => [spelling, str(twin[1])] as const) : fc.constant(undefined)).map((twinMember) => {
      const members = [name, uri, args, ...extra, twinMember].filter((m): m is readonly [string, Node] => m !== undefined);
      return { kind: "object", members } as Node;
    }),
  );

const id = fc.oneof({ weight: 8, arbitrary: fc.integer().map((n) => raw(String(n))) }, { weight: 2, arbitrary: anyString.map(str) }, { weight: 1, arbitrary: fc.constantFrom(raw("null"), raw("{}"), raw("[1]"), raw("1.5")) });

const message: fc.Arbitrary<Node> = fc
  .tuple(
    sometimes(member("jsonrpc", fc.oneof({ weight: 15, arbitrary: fc.constant(str("2.0")) }, { weight: 1, arbitrary: scalar })), 95),
    sometimes(member("id", id), 85),
    member("method", fc.oneof({ weight: 15, arbitrary: fc.constantFrom(...METHODS).map(str) }, { weight: 1, arbitrary: scalar })),
    sometimes(member("params", fc.oneof({ weight: 10, arbitrary: params }, { weight: 1, arbitrary: jsonValue })), 85),
    /** A second `method` (duplicate or folded) that would turn a list into a call. */
    sometimes(spellings("method").map((m) => [m, str("tools/call")] as const), 8),
  )
  .chain(([jsonrpc, mid, method, p, twin]) => {
    const members = [jsonrpc, mid, method, p, twin].filter((m): m is readonly [string, Node] => m !== undefined);
    return fc.shuffledSubarray(members, { minLength: members.length });
  })
  .map((members): Node => ({ kind: "object", members }));

const document: fc.Arbitrary<Node> = fc.oneof(
  { weight: 6, arbitrary: message },
  { weight: 2, arbitrary: fc.array(message, { minLength: 0, maxLength: FUZZ_PROXY_LIMITS.maxBatchSize + 4 }).map((items): Node => ({ kind: "array", items })) },
  { weight: 1, arbitrary: jsonValue },
);

/** Serialise with random spacing and, sometimes, member names as \u escapes. */
function serialise(node: Node, rnd: () => number): string {
  const space = () => (rnd() < 0.1 ? [" ", "\n", "\t", "\r\n  "][Math.floor(rnd() * 4)]! : "");
  const key = (k: string) => (rnd() < 0.15 ? `"${[...k].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"` : JSON.stringify(k));
  const walk = (n: Node): string => {
    if (n.kind === "raw") return n.text;
    if (n.kind === "array") return `[${space()}${n.items.map(walk).join(`,${space()}`)}${space()}]`;
    return `{${space()}${n.members.map(([k, v]) => `${key(k)}${space()}:${space()}${walk(v)}`).join(`,${space()}`)}${space()}}`;
  };
  return walk(node);
}

type Corruption = { kind: "none" } | { kind: "bytes"; at: number; bytes: readonly number[] } | { kind: "truncate"; at: number } | { kind: "bom" } | { kind: "garbage"; bytes: Uint8Array };

const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  { weight: 40, arbitrary: fc.constant({ kind: "none" } as const) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("bytes" as const), at: fc.nat(), bytes: fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x00], [0xf4, 0x90, 0x80, 0x80]) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "bom" } as const) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("garbage" as const), bytes: fc.uint8Array({ maxLength: 64 }) }) },
);

function bytesOf(text: string, c: Corruption): Uint8Array<ArrayBuffer> {
  const utf8 = new TextEncoder().encode(text);
  switch (c.kind) {
    case "none":
      return utf8;
    case "bom":
      return new Uint8Array([0xef, 0xbb, 0xbf, ...utf8]);
    case "garbage":
      return new Uint8Array(c.bytes);
    case "truncate":
      return utf8.slice(0, c.at % (utf8.length + 1));
    case "bytes": {
      const at = c.at % (utf8.length + 1);
      return new Uint8Array([...utf8.subarray(0, at), ...c.bytes, ...utf8.subarray(at)]);
    }
  }
}

const contentType = fc.oneof({ weight: 30, arbitrary: fc.constant("application/json") }, { weight: 1, arbitrary: fc.constantFrom("application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", "application/x-www-form-urlencoded", "") });

/** Names the filter hides, anywhere in a list answer that reached the client. */
function hiddenListed(a: Answer): string | undefined {
  if (a.status !== 200 || !(a.headers.get("content-type") ?? "").startsWith("application/json")) return undefined;
  const hidden = [...HIDDEN_TOOLS, ...HIDDEN_PROMPTS, ...HIDDEN_RESOURCES];
  const answers = [JSON.parse(a.text) as unknown].flat() as { result?: Record<string, unknown> }[];
  for (const answer of answers) {
    for (const list of ["tools", "prompts", "resources"]) {
      const items = answer?.result?.[list];
      if (!Array.isArray(items)) continue;
      const leaked = items.map((i: { name?: string; uri?: string }) => i.name ?? i.uri).filter((n) => hidden.includes(n as never));
      if (leaked.length) return `a list answer carried hidden ${list}: ${leaked.join(", ")}`;
    }
  }
  return undefined;
}

type RouteChoice = "filter" | "full" | "full-bad-token" | "unfiltered";
const ROUTE_PATHS: Record<RouteChoice, string> = { filter: FILTER_ROUTE, full: FULL_ROUTE, "full-bad-token": FULL_ROUTE, unfiltered: UNFILTERED_ROUTE };

/** The property over some routes; `unfiltered` is the control (a hidden tool must be seen to run there). */
export function mcpBodiesOn(routes: readonly RouteChoice[]): FuzzProperty {
  return {
  name: "MCP JSON-RPC bodies",
  async run(target: FuzzTarget, options) {
    let cases = 0;
    const token = target.clients[0]!.tokens.access_token;
    await checkProperty(
      fc.asyncProperty(document, corruption, contentType, fc.constantFrom(...routes), fc.integer(), async (doc, c, type, route, spacing) => {
        cases++;
        const body = bytesOf(serialise(doc, prng(spacing)), c);
        const hiddenNames: readonly string[] = [...HIDDEN_TOOLS, ...HIDDEN_PROMPTS, ...HIDDEN_RESOURCES];
        if (runsInBody(new TextDecoder().decode(body)).some((r) => hiddenNames.includes(r.target))) target.stats.hiddenAttempts++;
        const headers: Record<string, string> = { accept: "application/json, text/event-stream" };
        if (type) headers["content-type"] = type;
        if (route.startsWith("full")) headers.authorization = `Bearer ${route === "full" ? token : "at_forged"}`;
        const url = `${target.gateway.url}${ROUTE_PATHS[route]}`;
        const answer = await withWatchdog("an MCP POST", options.watchdogMs, (signal) => fetch(url, { method: "POST", headers, body, signal }).then(readAnswer));
        const problem = stackTrace(answer) ?? mcpShape(answer) ?? hiddenListed(answer);
        const hidden = target.upstream.hiddenRuns();
        if (problem || hidden.length) {
          throw new Error(`${problem ?? `the upstream ran hidden capabilities: ${JSON.stringify(hidden)}`}\nrequest (${route}, ${type}): ${new TextDecoder().decode(body).slice(0, 500)}\nanswer ${answer.status}: ${answer.text.slice(0, 300)}`);
        }
      }),
      options,
    );
    return cases;
  },
  };
}

export const mcpBodies = mcpBodiesOn(["filter", "full", "full-bad-token"]);
