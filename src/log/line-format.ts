import { isSecretKey, REDACTED } from "./redact.ts";

// The JSON text of a log line whose fields are all scalars, exactly as pino writes it with our options
// (level label, ISO time, child bindings, then the fields in order, then msg). Why not pino itself:
// under Bun, pino quotes every key and string value with a separate JSON.stringify call and walks
// three layers of wrappers per line; for the one analytics line each proxied call writes, that was
// 5–8 µs of the gateway's ~30 µs of JavaScript per request. pino stays the logger: it owns levels,
// and writes every line this module declines (any object, array, Error or bigint value), and a
// property test (test/log/line-format.test.ts) holds this output byte-identical to pino's.

// Characters JSON.stringify escapes in a string: the quote, the backslash, control characters, and
// lone surrogates (well-formed JSON.stringify).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal: the common plain string without a call into JSON.stringify. */
export function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** A field name's start of member (`,"key":`), and whether its value is always redacted. */
interface KeyInfo {
  readonly prefix: string;
  readonly secret: boolean;
}

const keys = new Map<string, KeyInfo>();

/** Field names come from code, so what a name needs is worked out once; the bound is a guard. */
function keyInfo(key: string): KeyInfo {
  let info = keys.get(key);
  if (info === undefined) {
    info = { prefix: `,${quote(key)}:`, secret: isSecretKey(key) };
    if (keys.size < 10_000) keys.set(key, info);
  }
  return info;
}

/** `,"k":v` for one scalar, "" for one pino leaves out (undefined, functions), or undefined for a non-scalar. */
function member(key: string, value: unknown): string | undefined {
  const { prefix, secret } = keyInfo(key);
  // Redaction first, as in the pino path (redactFields replaces even an undefined value).
  if (secret) return `${prefix}"${REDACTED}"`;
  switch (typeof value) {
    case "string":
      return prefix + quote(value);
    case "number":
      return prefix + (Number.isFinite(value) ? String(value) : "null");
    case "boolean":
      return prefix + (value ? "true" : "false");
    case "undefined":
    case "function":
      return "";
    default:
      return value === null ? `${prefix}null` : undefined;
  }
}

/**
 * The members of `fields` as `,"k":v…`, secret-named keys redacted (redact.ts), or undefined when a value is not
 * a scalar (pino then writes the line, with its nested-value handling).
 */
export function scalarMembers(fields: Readonly<Record<string, unknown>>, skip?: ReadonlySet<string>): string | undefined {
  let out = "";
  for (const key in fields) {
    if (!Object.prototype.hasOwnProperty.call(fields, key) || skip?.has(key)) continue;
    const m = member(key, fields[key]);
    if (m === undefined) return undefined;
    out += m;
  }
  return out;
}

/**
 * The members of a call's fields, which pino receives as `{ event, ...fields }`: a field named event
 * replaces the event in place, and integer-like names move ahead of it (JS property order), so such
 * fields are left to pino (undefined), as are non-scalars.
 */
export function fieldMembers(fields: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (fields === undefined) return "";
  for (const key in fields) {
    const c = key.charCodeAt(0);
    if (key === "event" || (c >= 0x30 && c <= 0x39)) return undefined;
  }
  return scalarMembers(fields);
}

/** Binding names pino never writes into a child's lines (asChindings skips them). */
export const NOT_BOUND: ReadonlySet<string> = new Set(["level", "serializers", "formatters", "customLevels"]);

/** A line: `{"level":"info","time":"…"` + bindings + `,"event":"…"` + fields + `,"msg":"…"}` and a newline. */
export function formatLine(level: string, timeMember: string, bindings: string, event: string, fields: string, msg: string): string {
  return `{"level":"${level}"${timeMember}${bindings},"event":${quote(event)}${fields},"msg":${quote(msg)}}\n`;
}

let lastMs = -1;
let lastMember = "";

/** pino's isoTime member (`,"time":"2026-…Z"`), formatted once per millisecond. */
export function isoTimeMember(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastMember = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastMember;
}
