import type { UpstreamConnectionFilter, UpstreamConnectionRepository, UpstreamConnectionRow } from "../store/repositories.ts";
import type { SealingKey } from "../store/sealed.ts";

// The token vault (spec §H21): connections in the store with their tokens sealed under the data-dir key,
// the (subject, upstream) tuple as associated data; decrypted connections in a bounded in-memory cache
// so a proxied call costs a Map lookup, not a query and a decryption. The cache is evicted on refresh,
// revocation and config reload, and an entry is re-read from the store after CACHE_TTL_MS, so a change
// made by another process (`mcpgw connections revoke`) reaches a running gateway within that time.

export interface UpstreamTokens {
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly tokenType: string;
}

export interface Connection {
  readonly subject: string;
  readonly upstreamId: string;
  readonly authProfileId: string;
  readonly status: "active" | "reconsent_required";
  /** Undefined once the connection needs consent again. */
  readonly tokens: UpstreamTokens | undefined;
  readonly scope: string | null;
  readonly accessExpiresAt: number | null;
  readonly connectedBy: string;
  readonly createdAt: number;
  /** When the tokens were last obtained (connect or refresh). */
  readonly updatedAt: number;
}

const CACHE_TTL_MS = 60_000;
const DEFAULT_MAX_CACHED = 10_000;

const key = (subject: string, upstreamId: string) => `${subject}\u0000${upstreamId}`;

/** The associated data of a connection's box: which person and which upstream it belongs to. */
export const connectionAad = (subject: string, upstreamId: string) => `upstream-connection\u0000${subject}\u0000${upstreamId}`;

export class ConnectionVault {
  private readonly cache = new Map<string, { readonly connection: Connection; readonly until: number }>();

  constructor(
    private readonly repo: UpstreamConnectionRepository,
    private readonly sealing: SealingKey,
    private readonly now: () => number,
    private readonly maxCached = DEFAULT_MAX_CACHED,
  ) {}

  /** The cached connection, without touching the store (the hot path); undefined on a miss. */
  cached(subject: string, upstreamId: string): Connection | undefined {
    const hit = this.cache.get(key(subject, upstreamId));
    if (!hit) return undefined;
    if (hit.until <= this.now()) {
      this.cache.delete(key(subject, upstreamId));
      return undefined;
    }
    return hit.connection;
  }

  /** The connection from the cache or the store (decrypted, then cached); undefined when there is none. */
  async load(subject: string, upstreamId: string): Promise<Connection | undefined> {
    const hit = this.cached(subject, upstreamId);
    if (hit) return hit;
    const row = await this.repo.find(subject, upstreamId);
    if (!row) return undefined;
    const connection = await this.decrypt(row);
    this.remember(connection);
    return connection;
  }

  async save(connection: Connection): Promise<Connection> {
    const now = this.now();
    const sealedTokens = connection.tokens ? await this.sealing.seal(JSON.stringify(connection.tokens), connectionAad(connection.subject, connection.upstreamId)) : new Uint8Array();
    const saved: Connection = { ...connection, updatedAt: now };
    await this.repo.save({
      subject: connection.subject,
      upstreamId: connection.upstreamId,
      authProfileId: connection.authProfileId,
      status: connection.status,
      sealedTokens,
      scope: connection.scope,
      accessExpiresAt: connection.accessExpiresAt,
      connectedBy: connection.connectedBy,
      createdAt: connection.createdAt,
      updatedAt: now,
    });
    this.cache.delete(key(connection.subject, connection.upstreamId));
    this.remember(saved);
    return saved;
  }

  /** Drops the tokens and remembers that the person must authorize again (spec §D12). */
  async needsReconsent(connection: Connection): Promise<Connection> {
    const next: Connection = { ...connection, status: "reconsent_required", tokens: undefined, accessExpiresAt: null };
    return this.save(next);
  }

  async remove(filter: UpstreamConnectionFilter): Promise<UpstreamConnectionRow[]> {
    const removed = await this.repo.remove(filter);
    for (const r of removed) this.cache.delete(key(r.subject, r.upstreamId));
    return removed;
  }

  evict(subject: string, upstreamId: string): void {
    this.cache.delete(key(subject, upstreamId));
  }

  evictAll(): void {
    this.cache.clear();
  }

  private remember(connection: Connection): void {
    if (this.cache.size >= this.maxCached) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key(connection.subject, connection.upstreamId), { connection, until: this.now() + CACHE_TTL_MS });
  }

  private async decrypt(row: UpstreamConnectionRow): Promise<Connection> {
    const tokens = row.sealedTokens.byteLength > 0 ? (JSON.parse(await this.sealing.open(row.sealedTokens, connectionAad(row.subject, row.upstreamId))) as UpstreamTokens) : undefined;
    return {
      subject: row.subject,
      upstreamId: row.upstreamId,
      authProfileId: row.authProfileId,
      status: row.status,
      tokens,
      scope: row.scope,
      accessExpiresAt: row.accessExpiresAt,
      connectedBy: row.connectedBy,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }
}
