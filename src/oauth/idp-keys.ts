import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { LoginError } from "./login-errors.ts";

// The IdP's signing keys (its JWKS), fetched through the gateway's outbound fetch and cached. An ID
// token naming a key we do not have (the IdP rotated its keys) makes us fetch the set again, once, and
// at most once per cooldown whatever tokens arrive, so nobody can make the gateway hammer the IdP; a key
// still unknown after that is refused. jose's createLocalJWKSet picks the key (kid, kty, alg).

export interface IdpKeysOptions {
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  /** Keys older than this are fetched again before use. */
  readonly maxAgeMs?: number;
  /** The least time between two refetches caused by unknown keys. */
  readonly refetchCooldownMs?: number;
}

const MAX_AGE_MS = 10 * 60_000;
const REFETCH_COOLDOWN_MS = 30_000;

export class IdpKeys {
  private keys: JWTVerifyGetKey | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastUnknownKeyRefetch = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | undefined;

  constructor(
    readonly jwksUrl: string,
    private readonly options: IdpKeysOptions,
  ) {}

  /** A key resolver for jose's jwtVerify, on the clock `now`. */
  resolver(now: () => number): JWTVerifyGetKey {
    return async (header, token) => {
      let fetchedForThisToken = false;
      if (!this.keys || now() - this.fetchedAt >= (this.options.maxAgeMs ?? MAX_AGE_MS)) {
        await this.reload(now);
        fetchedForThisToken = true;
      }
      try {
        return await this.keys!(header, token);
      } catch (err) {
        const cooled = now() - this.lastUnknownKeyRefetch >= (this.options.refetchCooldownMs ?? REFETCH_COOLDOWN_MS);
        if (!(err instanceof errors.JWKSNoMatchingKey) || fetchedForThisToken || !cooled) throw err;
        this.lastUnknownKeyRefetch = now();
        await this.reload(now);
        return this.keys!(header, token);
      }
    };
  }

  /** One fetch at a time: concurrent sign-ins share it. */
  private reload(now: () => number): Promise<void> {
    this.pending ??= this.fetchKeys()
      .then((set) => {
        this.keys = createLocalJWKSet(set);
        this.fetchedAt = now();
      })
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetchKeys(): Promise<JSONWebKeySet> {
    const where = new URL(this.jwksUrl).host;
    let response: Response;
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      // No redirects: the keys come from the configured URL, not from wherever it points (jose does the same).
      response = await this.options.fetch(this.jwksUrl, { headers: { accept: "application/json" }, redirect: "manual", signal });
    } catch (err) {
      const why = signal.aborted ? `no answer within ${this.options.timeoutMs} ms` : (err as Error).message;
      throw new LoginError("idp_keys_unavailable", `Fetching the IdP's JWKS from ${where} failed: ${why}.`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new LoginError("idp_keys_unavailable", `The IdP's JWKS at ${where} answered HTTP ${response.status}; check oidc.jwksUrl.`);
    }
    let set: unknown;
    try {
      set = await response.json();
    } catch {
      throw new LoginError("idp_keys_unavailable", `The IdP's JWKS at ${where} is not JSON; check oidc.jwksUrl.`);
    }
    if (typeof set !== "object" || set === null || !Array.isArray((set as { keys?: unknown }).keys)) {
      throw new LoginError("idp_keys_unavailable", `The document at ${where} is not a JWK set (no "keys" array); check oidc.jwksUrl.`);
    }
    return set as JSONWebKeySet;
  }
}
