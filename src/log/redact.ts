// One redaction layer for the whole log stream. Two nets, both always on:
// 1. keys: any field whose name says it carries a credential is replaced, at any depth;
// 2. values: every secret the process knows (env values marked secret, generated keys) and anything
//    shaped like a bearer credential is masked in the serialized line, so a secret that slipped into a
//    free-text message or an error still never reaches stdout.

export const REDACTED = "[redacted]";

const SECRET_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|password|passwd|secret|client_?secret|access_?token|refresh_?token|id_?token|token|authorization_?code|code_?verifier|api_?key|x-api-key|private_?key|assertion|client_assertion|cookies?)$/i;

const secretKeyCache = new Map<string, boolean>();

export function isSecretKey(key: string): boolean {
  let secret = secretKeyCache.get(key);
  if (secret === undefined) {
    secret = SECRET_KEY.test(key);
    // Field names come from code, not from requests, so the cache stays small; the bound is a guard.
    if (secretKeyCache.size < 10_000) secretKeyCache.set(key, secret);
  }
  return secret;
}

// Variable names whose values are secrets (RFC-free convention, documented in docs/logging.md).
const SECRET_VAR = /(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|API_?KEY|CREDENTIAL|_KEY$)/i;

export function isSecretVariableName(name: string): boolean {
  return SECRET_VAR.test(name);
}

/** Whether `line` has one of our credential prefixes (at_, rt_, ac_, cs_, sess_): one pass over its underscores. */
function hasCredentialPrefix(line: string): boolean {
  for (let u = line.indexOf("_", 2); u !== -1; u = line.indexOf("_", u + 1)) {
    const a = line.charCodeAt(u - 2);
    const b = line.charCodeAt(u - 1);
    // "at", "rt", "ac", "cs", and "ss" (the end of "sess").
    if ((b === 0x74 && (a === 0x61 || a === 0x72)) || (a === 0x61 && b === 0x63) || (b === 0x73 && (a === 0x63 || a === 0x73))) return true;
  }
  return false;
}

// Credential shapes we mint or forward: our opaque tokens, bearer headers, JWTs, basic auth. Every line
// is scrubbed, so each shape has an exact, cheap pre-check: a line failing it cannot match the pattern.
const CREDENTIAL_SHAPES: { readonly pattern: RegExp; readonly mayMatch: (line: string) => boolean }[] = [
  { pattern: /\b(at|rt|ac|cs|sess)_[A-Za-z0-9_-]{16,}/g, mayMatch: hasCredentialPrefix },
  { pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, mayMatch: () => true },
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, mayMatch: (line) => line.includes("eyJ") },
];

const MEMO_MAX_LENGTH = 200;
const MEMO_MAX_ENTRIES = 4096;

export class SecretRegistry {
  private readonly values = new Set<string>();
  /** Each secret as it appears in a line: as is, and JSON-escaped when that differs (scrub runs on every line). */
  private readonly spellings: string[] = [];

  add(value: string | undefined): void {
    // Very short values would mask ordinary words; such "secrets" are rejected at config time anyway.
    if (!value || value.length < 6 || this.values.has(value)) return;
    this.values.add(value);
    // What was clean may not be any more.
    this.literals.clear();
    this.spellings.push(value);
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) this.spellings.push(escaped);
  }

  has(value: string): boolean {
    return this.values.has(value);
  }

  /** Scrubbed JSON literals of short values seen before (see literal()); cleared when a secret is added. */
  private readonly literals = new Map<string, string>();

  /**
   * A string field value as the scrubbed JSON string literal a line carries. The analytics line repeats
   * a few short values (method and tool names, outcomes, messages) on every call: those are scrubbed
   * and quoted once and then looked up, instead of scrubbing each whole line (see events.ts). Scrubbing
   * values one by one is as strict as scrubbing the line: no credential shape or secret spans a quote.
   */
  literal(value: string): string {
    let out = this.literals.get(value);
    if (out === undefined) {
      out = JSON.stringify(this.scrub(value));
      if (value.length <= MEMO_MAX_LENGTH) {
        // A bound on memory whatever the values are: start over rather than evict one by one.
        if (this.literals.size >= MEMO_MAX_ENTRIES) this.literals.clear();
        this.literals.set(value, out);
      }
    }
    return out;
  }

  scrub(line: string): string {
    let out = line;
    for (const spelling of this.spellings) if (out.includes(spelling)) out = out.split(spelling).join(REDACTED);
    for (const { pattern, mayMatch } of CREDENTIAL_SHAPES) {
      if (!mayMatch(out)) continue;
      pattern.lastIndex = 0;
      if (pattern.test(out)) {
        pattern.lastIndex = 0;
        out = out.replace(pattern, REDACTED);
      }
    }
    return out;
  }
}

/**
 * Log fields with secret-named keys masked. Copies only what it must: a flat object of plain values with no
 * secret key (every analytics event) is returned as is, keeping the per-event cost near zero.
 */
export function redactFields(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redactFields(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value instanceof Headers) return redactFields(Object.fromEntries(value), depth);
  const record = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k in record) {
    const v = record[k];
    const next = isSecretKey(k) ? REDACTED : v !== null && typeof v === "object" ? redactFields(v, depth + 1) : v;
    if (next !== v && !out) out = { ...record };
    if (out) out[k] = next;
  }
  return out ?? record;
}
