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

/** Which object a member sits in: a JSON-RPC message, its params, params.ref, or anything else. */
const OTHER = 0;
const MESSAGE = 1;
const PARAMS = 2;
const REF = 3;

/** Member names the gateway reads, per object it reads them in; matched exactly, refused when only folded-equal. */
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

// Member names are compared by a 32-bit FNV-1a hash of their folded form, computed while the bytes
// are scanned: no string is built for a plain ASCII name, which is nearly every name. Equal hashes are
// confirmed on the decoded names, so a hash collision never refuses anything.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashFolded(folded: string): number {
  let h = FNV_OFFSET;
  for (let k = 0; k < folded.length; k++) h = Math.imul(h ^ folded.charCodeAt(k), FNV_PRIME);
  return h;
}

interface ReadMember {
  readonly name: string;
  readonly hash: number;
}

const readMembers = (names: readonly string[]): readonly ReadMember[] => names.map((name) => ({ name, hash: hashFolded(foldMemberName(name)) }));
const READ_BY_LEVEL: readonly (readonly ReadMember[])[] = [[], readMembers(READ_MEMBERS.message), readMembers(READ_MEMBERS.params), readMembers(READ_MEMBERS.ref)];

/** End of the string whose opening quote is at `open`: the index of its closing quote, or -1. */
function stringEnd(bytes: Uint8Array, open: number): number {
  // Short strings (ids, method names) in plain JS; long ones (tool arguments) by the native indexOf.
  const n = bytes.length;
  const near = Math.min(n, open + 64);
  let at = open + 1;
  while (at < near) {
    const b = bytes[at]!;
    if (b === QUOTE) return at;
    at += b === BACKSLASH ? 2 : 1;
  }
  at--;
  for (;;) {
    at = bytes.indexOf(QUOTE, at + 1);
    if (at === -1) return -1;
    let slashes = 0;
    while (bytes[at - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at;
  }
}

/** Whether the plain name between the quotes at `open` and `close` is exactly `name`. */
function bytesAre(bytes: Uint8Array, open: number, close: number, name: string): boolean {
  if (close - open - 1 !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (bytes[open + 1 + k] !== name.charCodeAt(k)) return false;
  return true;
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

/** The members of the objects open at the moment, innermost last: where each name is, and its folded hash. */
class OpenMembers {
  readonly hashes: number[] = [];
  readonly opens: number[] = [];
  readonly closes: number[] = [];
  /** Where each open object's members begin in the arrays above, by depth. */
  readonly bases: number[] = [];
  /** Objects with many members get a hash index, so a 100,000-member object is not compared pairwise. */
  readonly indexes: (Map<number, number> | undefined)[] = [];
  top = 0;

  enter(depth: number): void {
    this.bases[depth] = this.top;
    this.indexes[depth] = undefined;
  }

  leave(depth: number): void {
    this.top = this.bases[depth]!;
    this.indexes[depth] = undefined;
  }

  /** An earlier member of the current object with the same folded hash, or -1 (then this one is recorded). */
  add(depth: number, hash: number, open: number, close: number, bytes: Uint8Array): number {
    const base = this.bases[depth]!;
    let index = this.indexes[depth];
    const earlier = index ? this.lookUp(index, base, hash, open, close, bytes) : this.scan(base, hash, open, close, bytes);
    if (earlier !== -1) return earlier;
    const at = this.top++;
    this.hashes[at] = hash;
    this.opens[at] = open;
    this.closes[at] = close;
    if (index) index.set(hash, index.get(hash) ?? at);
    else if (at - base === 8) {
      this.indexes[depth] = index = new Map();
      for (let k = at; k >= base; k--) index.set(this.hashes[k]!, k);
    }
    return -1;
  }

  private scan(base: number, hash: number, open: number, close: number, bytes: Uint8Array): number {
    for (let k = base; k < this.top; k++) {
      if (this.hashes[k] === hash && sameFold(bytes, this.opens[k]!, this.closes[k]!, open, close)) return k;
    }
    return -1;
  }

  private lookUp(index: Map<number, number>, base: number, hash: number, open: number, close: number, bytes: Uint8Array): number {
    const first = index.get(hash);
    if (first === undefined) return -1;
    // Rare: two different names with one hash; compare the whole object.
    return sameFold(bytes, this.opens[first]!, this.closes[first]!, open, close) ? first : this.scan(base, hash, open, close, bytes);
  }
}

function sameFold(bytes: Uint8Array, open1: number, close1: number, open2: number, close2: number): boolean {
  const a = memberName(bytes, open1, close1);
  const b = memberName(bytes, open2, close2);
  return a !== undefined && b !== undefined && foldMemberName(a) === foldMemberName(b);
}

/** Per open container, indexed by depth (1 = the top-level value). */
const scratch: { readonly isObject: boolean[]; readonly levels: number[]; members: OpenMembers } = { isObject: [], levels: [], members: new OpenMembers() };

/**
 * The first reason to refuse this body before parsing it, or undefined. Bodies that are not JSON at all
 * pass (JSON.parse reports them); so does everything whose members every decoder reads alike.
 */
export function inspectJsonShape(bytes: Uint8Array, limits: JsonShapeLimits): JsonShapeProblem | undefined {
  const problem = scan(bytes, limits);
  // A body with a huge object grew the scratch arrays: let them go rather than keep them for good.
  if (scratch.members.hashes.length > 4096) scratch.members = new OpenMembers();
  return problem;
}

function scan(bytes: Uint8Array, limits: JsonShapeLimits): JsonShapeProblem | undefined {
  const n = bytes.length;
  // Scratch state, reused: the scan is synchronous, so one call never sees another's.
  const { isObject, levels, members } = scratch;
  members.top = 0;
  isObject[0] = false;
  let depth = 0;
  let expectName = false;
  let nextLevel = MESSAGE;
  let batch = false;
  let batchCommas = 0;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      if (!(expectName && isObject[depth])) {
        i = stringEnd(bytes, i);
        if (i === -1) return undefined;
        continue;
      }
      expectName = false;
      // A member name: hash its ASCII-lowercased bytes on the way; anything else takes the decoded path.
      let hash = FNV_OFFSET;
      let close = i + 1;
      let name: string | undefined;
      for (; close < n; close++) {
        const b = bytes[close]!;
        if (b === QUOTE) break;
        if (b === BACKSLASH || b >= 0x80 || b < 0x20) {
          close = stringEnd(bytes, i);
          if (close === -1) return undefined;
          name = memberName(bytes, i, close);
          if (name === undefined) return undefined;
          hash = hashFolded(foldMemberName(name));
          break;
        }
        hash = Math.imul(hash ^ (b >= 0x41 && b <= 0x5a ? b | 0x20 : b), FNV_PRIME);
      }
      if (close >= n) return undefined;
      const level = levels[depth]!;
      const problem = checkMember(bytes, members, depth, level, hash, i, close, name);
      if (problem) return problem;
      nextLevel = level === MESSAGE ? (isName(bytes, i, close, name, "params") ? PARAMS : OTHER) : level === PARAMS ? (isName(bytes, i, close, name, "ref") ? REF : OTHER) : OTHER;
      i = close;
    } else if (c === 0x7b || c === 0x5b) {
      // `{` or `[`
      if (++depth > limits.maxJsonDepth) return { kind: "too_deep", detail: `the JSON nests deeper than ${limits.maxJsonDepth} levels of arrays and objects` };
      const object = c === 0x7b;
      isObject[depth] = object;
      if (object) members.enter(depth);
      if (depth === 1) {
        batch = !object;
        levels[depth] = object ? MESSAGE : OTHER;
      } else levels[depth] = depth === 2 && batch ? MESSAGE : isObject[depth - 1] ? nextLevel : OTHER;
      expectName = object;
      nextLevel = OTHER;
    } else if (c === 0x7d || c === 0x5d) {
      // `}` or `]`
      if (depth === 0) return undefined;
      if (isObject[depth]) members.leave(depth);
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

function isName(bytes: Uint8Array, open: number, close: number, decoded: string | undefined, name: string): boolean {
  return decoded === undefined ? bytesAre(bytes, open, close, name) : decoded === name;
}

function batchTooLarge(limits: JsonShapeLimits): JsonShapeProblem {
  return { kind: "batch_too_large", detail: `a batch may carry at most ${limits.maxBatchSize} messages (MCP 2025-06-18 removed batching; send them one by one)` };
}

function checkMember(bytes: Uint8Array, members: OpenMembers, depth: number, level: number, hash: number, open: number, close: number, decoded: string | undefined): JsonShapeProblem | undefined {
  const earlier = members.add(depth, hash, open, close, bytes);
  if (earlier !== -1) {
    const first = memberName(bytes, members.opens[earlier]!, members.closes[earlier]!)!;
    const name = decoded ?? memberName(bytes, open, close)!;
    const detail = first === name ? `the member ${quote(name)} appears twice in one object` : `the members ${quote(first)} and ${quote(name)} differ only by case or Unicode folding`;
    return { kind: "ambiguous_member", detail: `${detail}; decoders disagree on which one counts` };
  }
  const reads = READ_BY_LEVEL[level]!;
  for (let k = 0; k < reads.length; k++) {
    const read = reads[k]!;
    if (read.hash !== hash || isName(bytes, open, close, decoded, read.name)) continue;
    const name = decoded ?? memberName(bytes, open, close)!;
    if (foldMemberName(name) !== foldMemberName(read.name)) continue;
    return { kind: "ambiguous_member", detail: `the member ${quote(name)} differs from ${quote(read.name)} only by case or Unicode folding; case-insensitive decoders read it as ${quote(read.name)}. Send ${quote(read.name)}` };
  }
  return undefined;
}
