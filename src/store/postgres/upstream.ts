import type { SQL } from "bun";
import type { UpstreamClientRow, UpstreamConnectionFilter, UpstreamConnectionRepository, UpstreamConnectionRow, UpstreamConnectStateRow } from "../repositories.ts";
import { bytes, ms, msOrNull } from "./rows.ts";

/** Runs `fn` holding the fleet-wide lock named `key` (PostgresStore.exclusive). */
export type Exclusive = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

type ConnectionRow = Omit<UpstreamConnectionRow, "accessExpiresAt" | "createdAt" | "updatedAt"> & { accessExpiresAt: string | null; createdAt: string; updatedAt: string };
type StateRow = Omit<UpstreamConnectStateRow, "createdAt" | "expiresAt"> & { createdAt: string; expiresAt: string };
type ClientRow = Omit<UpstreamClientRow, "createdAt"> & { createdAt: string };

const connection = (row: ConnectionRow): UpstreamConnectionRow => ({
  ...row,
  sealedTokens: bytes(row.sealedTokens),
  accessExpiresAt: msOrNull(row.accessExpiresAt),
  createdAt: ms(row.createdAt),
  updatedAt: ms(row.updatedAt),
});

export class PostgresUpstreamRepository implements UpstreamConnectionRepository {
  constructor(
    private readonly sql: SQL,
    private readonly exclusive: Exclusive,
  ) {}

  /** The filter's WHERE: an absent member matches every row. */
  private where(f: UpstreamConnectionFilter) {
    const subject = f.subject ?? null;
    const upstreamId = f.upstreamId ?? null;
    return this.sql`(${subject}::text IS NULL OR subject = ${subject}::text) AND (${upstreamId}::text IS NULL OR upstream_id = ${upstreamId}::text)`;
  }

  async find(subject: string, upstreamId: string): Promise<UpstreamConnectionRow | undefined> {
    const [row] = await this.sql<ConnectionRow[]>`SELECT subject, upstream_id AS "upstreamId", auth_profile_id AS "authProfileId", status,
      sealed_tokens AS "sealedTokens", scope, access_expires_at AS "accessExpiresAt", connected_by AS "connectedBy", created_at AS "createdAt",
      updated_at AS "updatedAt" FROM upstream_connections WHERE subject = ${subject} AND upstream_id = ${upstreamId}`;
    return row && connection(row);
  }

  async save(r: UpstreamConnectionRow): Promise<void> {
    // Replaces the whole row, as SQLite's INSERT OR REPLACE does.
    await this.sql`INSERT INTO upstream_connections (subject, upstream_id, auth_profile_id, status, sealed_tokens, scope, access_expires_at,
      connected_by, created_at, updated_at) VALUES (${r.subject}, ${r.upstreamId}, ${r.authProfileId}, ${r.status}, ${r.sealedTokens}, ${r.scope},
      ${r.accessExpiresAt}, ${r.connectedBy}, ${r.createdAt}, ${r.updatedAt})
      ON CONFLICT (subject, upstream_id) DO UPDATE SET auth_profile_id = excluded.auth_profile_id, status = excluded.status,
        sealed_tokens = excluded.sealed_tokens, scope = excluded.scope, access_expires_at = excluded.access_expires_at,
        connected_by = excluded.connected_by, created_at = excluded.created_at, updated_at = excluded.updated_at`;
  }

  async list(filter: UpstreamConnectionFilter): Promise<UpstreamConnectionRow[]> {
    const rows = await this.sql<ConnectionRow[]>`SELECT subject, upstream_id AS "upstreamId", auth_profile_id AS "authProfileId", status,
      sealed_tokens AS "sealedTokens", scope, access_expires_at AS "accessExpiresAt", connected_by AS "connectedBy", created_at AS "createdAt",
      updated_at AS "updatedAt" FROM upstream_connections WHERE ${this.where(filter)} ORDER BY upstream_id COLLATE "C", subject COLLATE "C"`;
    return rows.map(connection);
  }

  async remove(filter: UpstreamConnectionFilter): Promise<UpstreamConnectionRow[]> {
    const rows = await this.sql<ConnectionRow[]>`DELETE FROM upstream_connections WHERE ${this.where(filter)}
      RETURNING subject, upstream_id AS "upstreamId", auth_profile_id AS "authProfileId", status, sealed_tokens AS "sealedTokens", scope,
        access_expires_at AS "accessExpiresAt", connected_by AS "connectedBy", created_at AS "createdAt", updated_at AS "updatedAt"`;
    return rows.map(connection);
  }

  async findClient(authProfileId: string): Promise<UpstreamClientRow | undefined> {
    const [row] = await this.sql<ClientRow[]>`SELECT auth_profile_id AS "authProfileId", issuer, client_id AS "clientId", sealed_secret AS "sealedSecret",
      token_endpoint_auth_method AS "tokenEndpointAuthMethod", redirect_uri AS "redirectUri", kind, created_at AS "createdAt"
      FROM upstream_clients WHERE auth_profile_id = ${authProfileId}`;
    return row && { ...row, sealedSecret: row.sealedSecret ? bytes(row.sealedSecret) : null, createdAt: ms(row.createdAt) };
  }

  async saveClient(r: UpstreamClientRow): Promise<void> {
    await this.sql`INSERT INTO upstream_clients (auth_profile_id, issuer, client_id, sealed_secret, token_endpoint_auth_method, redirect_uri, kind, created_at)
      VALUES (${r.authProfileId}, ${r.issuer}, ${r.clientId}, ${r.sealedSecret}, ${r.tokenEndpointAuthMethod}, ${r.redirectUri}, ${r.kind}, ${r.createdAt})
      ON CONFLICT (auth_profile_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id, sealed_secret = excluded.sealed_secret,
        token_endpoint_auth_method = excluded.token_endpoint_auth_method, redirect_uri = excluded.redirect_uri, kind = excluded.kind,
        created_at = excluded.created_at`;
  }

  async removeClient(authProfileId: string): Promise<void> {
    await this.sql`DELETE FROM upstream_clients WHERE auth_profile_id = ${authProfileId}`;
  }

  async insertConnectState(r: UpstreamConnectStateRow): Promise<void> {
    await this.sql`INSERT INTO upstream_connect_states (state_hash, subject, upstream_id, sealed_flow, created_at, expires_at)
      VALUES (${r.stateHash}, ${r.subject}, ${r.upstreamId}, ${r.sealedFlow}, ${r.createdAt}, ${r.expiresAt})`;
  }

  async takeConnectState(stateHash: string, now: number): Promise<UpstreamConnectStateRow | undefined> {
    const [row] = await this.sql<StateRow[]>`DELETE FROM upstream_connect_states WHERE state_hash = ${stateHash} AND expires_at > ${now}
      RETURNING state_hash AS "stateHash", subject, upstream_id AS "upstreamId", sealed_flow AS "sealedFlow", created_at AS "createdAt", expires_at AS "expiresAt"`;
    return row && { ...row, sealedFlow: bytes(row.sealedFlow), createdAt: ms(row.createdAt), expiresAt: ms(row.expiresAt) };
  }

  async sweep(now: number): Promise<number> {
    return (await this.sql`DELETE FROM upstream_connect_states WHERE expires_at <= ${now}`).count;
  }

  exclusively<T>(subject: string, upstreamId: string, fn: () => Promise<T>): Promise<T> {
    // JSON: an unambiguous key whatever the subject holds (PostgreSQL text cannot carry the NUL used elsewhere).
    return this.exclusive(`upstream-refresh:${JSON.stringify([subject, upstreamId])}`, fn);
  }
}
