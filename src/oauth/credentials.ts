import { timingSafeEqual } from "node:crypto";

// Opaque credentials the authorization server mints. Each is a prefix naming its kind (so a leaked value
// is recognisable, and the log redaction layer masks every one of these shapes) plus 32 random bytes,
// base64url. The store only ever sees `hashCredential(value)`.

export type CredentialKind = "at" | "rt" | "ac" | "cs" | "sess" | "csrf";

/** at_: access token, rt_: refresh token, ac_: authorization code, cs_: client secret, sess_: browser session. */
export function mintCredential(kind: CredentialKind): string {
  return `${kind}_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
}

/** Non-secret random identifiers (grant ids, authorization request handles, DCR client ids). */
export function randomId(prefix: string, bytes = 16): string {
  return `${prefix}_${Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url")}`;
}

/** SHA-256, base64url: the primary key under which a credential is stored and looked up. */
export function hashCredential(value: string): string {
  return Bun.SHA256.hash(value, "base64url");
}

/** Constant-time comparison of two hashes (or other equal-length secrets). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))). */
export function s256(verifier: string): string {
  return Bun.SHA256.hash(verifier, "base64url");
}
