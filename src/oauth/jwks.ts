import type { JSONWebKeySet } from "jose";
import { cacheLifetimeMs, fetchJsonDocument, type GuardedFetchPolicy } from "./guarded-fetch.ts";
import { isLoopbackHostname } from "../http/host.ts";

// A private_key_jwt client's public keys (RFC 7591 §2 `jwks` / `jwks_uri`): what may be registered, and the
// fetch-and-cache of a `jwks_uri` through the SSRF guard (ChatGPT's connector publishes
// https://chatgpt.com/oauth/jwks.json). An unknown `kid` refetches the set, at most once a minute per URI, so a
// client that rotates keys is not locked out for the cache's lifetime and a flood of bad kids cannot make us
// hammer its server.

export const JWKS_MAX_BYTES = 32 * 1024;
export const JWKS_TIMEOUT_MS = 5_000;
const MAX_KEYS = 20;
const REFETCH_INTERVAL_MS = 60_000;
const MAX_CACHED = 1_000;

/** Members that only private or symmetric keys have (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** Why `jwks` is not a set of public signing keys, or undefined. */
export function publicJwksProblem(jwks: unknown): string | undefined {
  if (typeof jwks !== "object" || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) return 'must be a JWK Set: an object with a "keys" array';
  const keys = (jwks as { keys: unknown[] }).keys;
  if (keys.length === 0 || keys.length > MAX_KEYS) return `must hold 1 to ${MAX_KEYS} keys`;
  for (const [i, key] of keys.entries()) {
    if (typeof key !== "object" || key === null || Array.isArray(key)) return `keys[${i}] is not an object`;
    const k = key as Record<string, unknown>;
    if (k.kty !== "RSA" && k.kty !== "EC" && k.kty !== "OKP") return `keys[${i}]: kty "${String(k.kty)}" is not an asymmetric key type (RSA, EC or OKP)`;
    const secret = PRIVATE_MEMBERS.find((m) => m in k);
    if (secret) return `keys[${i}] contains the private member "${secret}"; publish only public keys`;
    if (k.use !== undefined && k.use !== "sig") return `keys[${i}] is not a signing key (use "${String(k.use)}")`;
  }
  return undefined;
}

/** Why `uri` cannot be a jwks_uri: https only (http on loopback in dev mode), no credentials or fragment. */
export function jwksUriProblem(uri: string, devMode: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "is not a URL";
  }
  const loopbackHttp = devMode && url.protocol === "http:" && isLoopbackHostname(url.hostname);
  if (url.protocol !== "https:" && !loopbackHttp) return devMode ? "must be an https URL (or http on a loopback host)" : "must be an https URL";
  if (url.username || url.password) return "must not contain user credentials";
  if (uri.includes("#")) return "must not contain a fragment";
  return undefined;
}

interface CachedJwks {
  readonly jwks: JSONWebKeySet;
  readonly fetchedAt: number;
  readonly expiresAt: number;
}

/** Fetches and caches clients' JWK Sets by jwks_uri; shared across reloads (one per process). */
export class JwksResolver {
  private readonly cache = new Map<string, CachedJwks>();
  private readonly inFlight = new Map<string, Promise<CachedJwks>>();

  constructor(
    private readonly policy: GuardedFetchPolicy,
    private readonly now: () => number,
  ) {}

  /**
   * The key set at `jwksUri`. With `refresh` (the cached set had no matching key) it is fetched again unless
   * it was fetched less than a minute ago. Errors are thrown as Errors with a reason, and never cached.
   */
  async keys(jwksUri: string, refresh = false): Promise<JSONWebKeySet> {
    const problem = jwksUriProblem(jwksUri, this.policy.devMode);
    if (problem) throw new Error(`the jwks_uri ${problem}`);
    const now = this.now();
    const cached = this.cache.get(jwksUri);
    if (cached && cached.expiresAt > now && (!refresh || now - cached.fetchedAt < REFETCH_INTERVAL_MS)) return cached.jwks;
    let pending = this.inFlight.get(jwksUri);
    if (!pending) {
      pending = this.fetch(jwksUri).finally(() => this.inFlight.delete(jwksUri));
      this.inFlight.set(jwksUri, pending);
    }
    const fetched = await pending;
    this.cache.delete(jwksUri);
    if (fetched.expiresAt > fetched.fetchedAt) {
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(jwksUri, fetched);
    }
    return fetched.jwks;
  }

  private async fetch(jwksUri: string): Promise<CachedJwks> {
    const { doc, cacheControl } = await fetchJsonDocument(new URL(jwksUri), this.policy, { maxBytes: JWKS_MAX_BYTES, timeoutMs: JWKS_TIMEOUT_MS });
    const problem = publicJwksProblem(doc);
    if (problem) throw new Error(`the key set ${problem}`);
    const fetchedAt = this.now();
    return { jwks: doc as JSONWebKeySet, fetchedAt, expiresAt: fetchedAt + cacheLifetimeMs(cacheControl) };
  }
}
