import type { TokenRepository } from "../store/repositories.ts";
import { hashCredential } from "./credentials.ts";
import { InvalidToken } from "./errors.ts";

// The resource-server check on every MCP request: an opaque `at_` token, looked up by its SHA-256 on a
// primary key (one B-tree search whatever the table size), with a small LRU of recently validated tokens
// in front. Revocation in this process evicts at once; `maxCacheAgeMs` (mcpgw.oauth.tokenCacheSeconds,
// 10 s by default) bounds how long a revocation made by another process sharing the store can go unseen
// (with PostgreSQL, revocation notices usually evict sooner: src/oauth/revocation-watch.ts).

export interface ValidatedAccessToken {
  readonly subject: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly clientId: string;
  readonly grantId: string;
  readonly resource: string;
  readonly operationId: string;
  readonly scope: string;
  readonly expiresAt: number;
}

interface CacheEntry {
  readonly token: ValidatedAccessToken;
  readonly cachedAt: number;
}

const ACCESS_TOKEN_SHAPE = /^at_[A-Za-z0-9_-]{43}$/;

export interface AccessTokenValidatorOptions {
  readonly capacity?: number;
  readonly maxCacheAgeMs?: number;
}

export class AccessTokenValidator {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly capacity: number;
  private readonly maxCacheAgeMs: number;

  constructor(
    private readonly tokens: TokenRepository,
    private readonly now: () => number,
    options: AccessTokenValidatorOptions = {},
  ) {
    this.capacity = options.capacity ?? 10_000;
    this.maxCacheAgeMs = options.maxCacheAgeMs ?? 10_000;
  }

  /**
   * The token's grant, if `token` is a live access token issued for `resource` and `operationId`;
   * otherwise InvalidToken with a reason code (thrown, or the promise rejects). Never touches the store
   * for malformed input. A cached token is checked synchronously: that is every MCP request's hot path;
   * only a cache miss waits for the store.
   */
  validate(token: string, resource: string, operationId: string, maxCacheAgeMs = this.maxCacheAgeMs): ValidatedAccessToken | Promise<ValidatedAccessToken> {
    if (!ACCESS_TOKEN_SHAPE.test(token)) throw new InvalidToken("The access token is malformed.", "invalid_token");
    const hash = hashCredential(token);
    const now = this.now();
    const cached = this.fromCache(hash, now, maxCacheAgeMs);
    if (cached) return this.check(hash, cached, now, resource, operationId);
    return this.fromStore(hash).then((found) => {
      if (found.expiresAt > now && maxCacheAgeMs > 0) this.remember(hash, found, now);
      return this.check(hash, found, now, resource, operationId);
    });
  }

  private check(hash: string, found: ValidatedAccessToken, now: number, resource: string, operationId: string): ValidatedAccessToken {
    if (found.expiresAt <= now) {
      this.cache.delete(hash);
      throw new InvalidToken("The access token has expired.", "expired_token");
    }
    // Spec §2.2: a token is bound to one route's canonical URI and operationId (blast radius of a leak).
    if (found.resource !== resource || found.operationId !== operationId) {
      throw new InvalidToken("The access token was issued for another MCP route.", "invalid_audience");
    }
    return found;
  }

  /** Forget one token (it was revoked). */
  evictToken(tokenHash: string): void {
    this.cache.delete(tokenHash);
  }

  /** Forget every cached token of a grant (the grant was revoked). Revocation is rare; a scan is fine. */
  evictGrant(grantId: string): void {
    for (const [hash, entry] of this.cache) if (entry.token.grantId === grantId) this.cache.delete(hash);
  }

  /** Forget every cached token (revocation notices may have been missed). */
  clear(): void {
    this.cache.clear();
  }

  get size(): number {
    return this.cache.size;
  }

  private fromCache(hash: string, now: number, maxCacheAgeMs: number): ValidatedAccessToken | undefined {
    const entry = this.cache.get(hash);
    if (!entry) return undefined;
    // The age applies when reading, so a lowered mcpgw.oauth.tokenCacheSeconds holds from the next request.
    if (entry.cachedAt + maxCacheAgeMs <= now || entry.token.expiresAt <= now) {
      this.cache.delete(hash);
      return undefined;
    }
    // Map order is insertion order: re-inserting makes this the most recently used entry.
    this.cache.delete(hash);
    this.cache.set(hash, entry);
    return entry.token;
  }

  private async fromStore(hash: string): Promise<ValidatedAccessToken> {
    const row = await this.tokens.findToken(hash);
    if (!row || row.kind !== "access") throw new InvalidToken("The access token is not known to this gateway.", "invalid_token");
    if (row.revokedAt !== null || row.grantRevokedAt !== null) throw new InvalidToken("The access token has been revoked.", "revoked_token");
    return {
      subject: row.subject,
      claims: JSON.parse(row.claims) as Record<string, unknown>,
      clientId: row.clientId,
      grantId: row.grantId,
      resource: row.resource,
      operationId: row.operationId,
      scope: row.scope,
      expiresAt: Math.min(row.expiresAt, row.grantExpiresAt),
    };
  }

  private remember(hash: string, token: ValidatedAccessToken, now: number): void {
    if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(hash, { token, cachedAt: now });
  }
}
