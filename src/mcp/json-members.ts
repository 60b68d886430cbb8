// A request body's JSON as every decoder would read it, checked in one pass over the bytes before
// JSON.parse runs. The gateway judges `JSON.parse(body)` (capability filter, routing, analytics) but
// forwards the client's own bytes, so anything two decoders can read differently is a way past the
// filter (issue 18, "parser differential"):
//
// * duplicate member names: JSON.parse keeps the last, other decoders keep the first (RFC 8259 §4
//   leaves it open; I-JSON, RFC 7493 §2.3, forbids duplicates);
// * members equal under case folding: Go's encoding/json matches struct fields case-insensitively and
//   with Unicode simple folding ("NAME", "paramſ" with U+017F, "\u212Aey" with the Kelvin sign), as do
//   .NET's PropertyNameCaseInsensitive and Java's equalsIgnoreCase-based binders;
// * a member that differs from a name the gateway reads only by case or folding ("Method" alone):
//   the gateway sees no such member, a case-insensitive upstream sees one.
//
// The same pass bounds nesting depth and batch length, so a hostile body is refused before JSON.parse
// builds it (deep arrays cost memory and stack; huge batches stall the event loop).
// JSON.parse hides duplicates, hence a byte-level scan. It is lenient: it only tracks strings and
// brackets, so on a body that is not JSON it may say nothing, and JSON.parse then reports the error.

/** Member names the gateway reads, per object it reads them in; matched exactly, refused when only folded-equal. */
const MESSAGE = 1;
const PARAMS = 2;
const REF = 3;
const OTHER = 0;

export const READ_MEMBERS: Readonly<Record<"message" | "params" | "ref", readonly string[]>> = {
  // JSON-RPC 2.0 §4/§5: a request, notification or response.
  message: ["jsonrpc", "id", "method", "params", "result", "error"],
  // MCP: tools/call and prompts/get (name, arguments), resources/read and subscribe (uri),
  // completion/complete (ref, argument), list pagination (cursor), and the request's _meta.
  params: ["name", "uri", "ref", "arguments", "argument", "cursor", "_meta"],
  // MCP completion/complete: params.ref names a prompt or a resource template.
  ref: ["type", "name", "uri"],
};

export interface JsonShapeLimits {
  /** Deepest nesting of arrays and objects accepted (the top-level value is depth 1). */
  readonly maxJsonDepth: number;
  /** Most messages a top-level batch array may carry. */
  readonly maxBatchSize: number;
}

export type JsonShapeProblem =
  | { readonly kind: "too_deep"; readonly detail: string }
  | { readonly kind: "batch_too_large"; readonly detail: string }
  | { readonly kind: "ambiguous_member"; readonly detail: string };

const utf8 = new TextDecoder();

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Folds one code point as case-insensitive decoders compare it (see foldMemberName). */
function foldCodePoint(ch: string): string {
  const mapped = ch.toUpperCase();
  // Full mappings that expand (ß → SS, ligatures) are not simple foldings: keep the character.
  const upper = mapped.length === String.fromCodePoint(mapped.codePointAt(0)!).length ? mapped : ch;
  const lower = upper.toLowerCase();
  // U+0130 (İ) lowercases to i + U+0307; its simple lowercase, which Java and .NET compare, is i.
  return String.fromCodePoint(lower.codePointAt(0)!);
}

/**
 * A member name folded so that two names any common case-insensitive decoder treats as equal fold to
 * the same string: each code point is upper-cased then lower-cased (simple mappings), so `S`, `s` and
 * U+017F, or `K`, `k` and U+212A, or `I`, `i`, U+0131 and U+0130, all become one. Lone surrogates
 * become U+FFFD, as Go decodes them. Folding more than one decoder does only refuses more.
 */
export function foldMemberName(name: string): string {
  let out = "";
  for (const ch of name.toWellFormed()) out += ch.charCodeAt(0) < 0x80 ? ch.toLowerCase() : foldCodePoint(ch);
  return out;
}

function foldedIndex(names: readonly string[]): ReadonlyMap<string, string> {
  return new Map(names.map((n) => [foldMemberName(n), n]));
}

const READ_BY_LEVEL: readonly (ReadonlyMap<string, string> | undefined)[] = [undefined, foldedIndex(READ_MEMBERS.message), foldedIndex(READ_MEMBERS.params), foldedIndex(READ_MEMBERS.ref)];

/** The object a member's value opens, by the object it sits in: message → params → ref. */
function childLevel(level: number, name: string): number {
  if (level === MESSAGE) return name === "params" ? PARAMS : OTHER;
  if (level === PARAMS) return name === "ref" ? REF : OTHER;
  return OTHER;
}

/** End of the string whose opening quote is at `open`: the index of its closing quote, or -1. */
function stringEnd(bytes: Uint8Array, open: number): number {
  let at = open;
  for (;;) {
    at = bytes.indexOf(QUOTE, at + 1);
    if (at === -1) return -1;
    let slashes = 0;
    while (bytes[at - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at;
  }
}

/** A member name as JSON.parse reads it; undefined when the string is not valid JSON (JSON.parse will say so). */
function memberName(bytes: Uint8Array, open: number, close: number): string | undefined {
  let plain = true;
  for (let k = open + 1; k < close; k++) {
    const b = bytes[k]!;
    if (b >= 0x80 || b === BACKSLASH || b < 0x20) {
      plain = false;
      break;
    }
  }
  const text = utf8.decode(bytes.subarray(plain ? open + 1 : open, plain ? close : close + 1));
  if (plain) return text;
  try {
    return JSON.parse(text) as string;
  } catch {
    return undefined;
  }
}

/** A name as a JSON string with everything outside printable ASCII escaped, so a log shows which character it was. */
function quote(name: string): string {
  return JSON.stringify(name).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * The first reason to refuse this body before parsing it, or undefined. Bodies that are not JSON at all
 * pass (JSON.parse reports them); so does everything whose members every decoder reads alike.
 */
export function inspectJsonShape(bytes: Uint8Array, limits: JsonShapeLimits): JsonShapeProblem | undefined {
  const n = bytes.length;
  // Per open container, indexed by depth (1 = the top-level value).
  const isObject: boolean[] = [false];
  const levels: number[] = [OTHER];
  const members: (Map<string, string> | undefined)[] = [undefined];
  let depth = 0;
  let expectName = false;
  let nextLevel = MESSAGE;
  let batch = false;
  let batchCommas = 0;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      const close = stringEnd(bytes, i);
      if (close === -1) return undefined;
      if (expectName && isObject[depth]) {
        expectName = false;
        const name = memberName(bytes, i, close);
        if (name === undefined) return undefined;
        const problem = recordMember(name, levels[depth]!, (members[depth] ??= new Map()));
        if (problem) return problem;
        nextLevel = childLevel(levels[depth]!, name);
      }
      i = close;
    } else if (c === 0x7b || c === 0x5b) {
      // `{` or `[`
      if (++depth > limits.maxJsonDepth) return { kind: "too_deep", detail: `the JSON nests deeper than ${limits.maxJsonDepth} levels of arrays and objects` };
      const object = c === 0x7b;
      isObject[depth] = object;
      members[depth] = undefined;
      if (depth === 1) {
        batch = !object;
        levels[depth] = object ? MESSAGE : OTHER;
      } else levels[depth] = depth === 2 && batch ? MESSAGE : isObject[depth - 1] ? nextLevel : OTHER;
      expectName = object;
      nextLevel = OTHER;
    } else if (c === 0x7d || c === 0x5d) {
      // `}` or `]`
      if (depth === 0) return undefined;
      members[depth] = undefined;
      depth--;
      expectName = false;
    } else if (c === 0x2c) {
      // `,`: n commas at the top of a batch separate n + 1 messages.
      if (isObject[depth]) expectName = true;
      else if (depth === 1 && batch && ++batchCommas >= limits.maxBatchSize) return batchTooLarge(limits);
      nextLevel = OTHER;
    }
  }
  return undefined;
}

function batchTooLarge(limits: JsonShapeLimits): JsonShapeProblem {
  return { kind: "batch_too_large", detail: `a batch may carry at most ${limits.maxBatchSize} messages (MCP 2025-06-18 removed batching; send them one by one)` };
}

function recordMember(name: string, level: number, seen: Map<string, string>): JsonShapeProblem | undefined {
  const folded = name.charCodeAt(0) < 0x80 && isAscii(name) ? name.toLowerCase() : foldMemberName(name);
  const earlier = seen.get(folded);
  if (earlier !== undefined) {
    const detail = earlier === name ? `the member ${quote(name)} appears twice in one object` : `the members ${quote(earlier)} and ${quote(name)} differ only by case or Unicode folding`;
    return { kind: "ambiguous_member", detail: `${detail}; decoders disagree on which one counts` };
  }
  seen.set(folded, name);
  const read = READ_BY_LEVEL[level]?.get(folded);
  if (read !== undefined && read !== name) {
    return { kind: "ambiguous_member", detail: `the member ${quote(name)} differs from ${quote(read)} only by case or Unicode folding; case-insensitive decoders read it as ${quote(read)}. Send ${quote(read)}` };
  }
  return undefined;
}

function isAscii(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) >= 0x80) return false;
  return true;
}
