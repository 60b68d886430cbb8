import type { Database, Statement } from "bun:sqlite";
import type { UpstreamClientRow, UpstreamConnectionFilter, UpstreamConnectionRepository, UpstreamConnectionRow, UpstreamConnectStateRow } from "../repositories.ts";
import { whenIdle, type TransactionGate } from "./gate.ts";

const CONNECTION_COLUMNS = `subject, upstream_id AS upstreamId, auth_profile_id AS authProfileId, status, sealed_tokens AS sealedTokens, scope,
  access_expires_at AS accessExpiresAt, connected_by AS connectedBy, created_at AS createdAt, updated_at AS updatedAt`;

/** `WHERE` for an optional subject and upstream id: NULL parameters match every row. */
const FILTER = "(?1 IS NULL OR subject = ?1) AND (?2 IS NULL OR upstream_id = ?2)";

type FilterParams = [string | null, string | null];
const filterParams = (f: UpstreamConnectionFilter): FilterParams => [f.subject ?? null, f.upstreamId ?? null];

/** bun:sqlite returns BLOBs as Uint8Array (a Buffer subclass in some paths): normalise to a plain view. */
const bytes = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function connection(row: UpstreamConnectionRow): UpstreamConnectionRow {
  return { ...row, sealedTokens: bytes(row.sealedTokens) };
}

export class SqliteUpstreamRepository implements UpstreamConnectionRepository {
  private readonly findStmt: Statement<UpstreamConnectionRow, [string, string]>;
  private readonly saveStmt: Statement;
  private readonly listStmt: Statement<UpstreamConnectionRow, FilterParams>;
  private readonly removeStmt: Statement<UpstreamConnectionRow, FilterParams>;
  private readonly findClientStmt: Statement<UpstreamClientRow, [string]>;
  private readonly saveClientStmt: Statement;
  private readonly removeClientStmt: Statement;
  private readonly insertStateStmt: Statement;
  private readonly takeStateStmt: Statement<UpstreamConnectStateRow, [string, number]>;
  private readonly sweepStmt: Statement;

  constructor(
    db: Database,
    private readonly gate?: TransactionGate,
  ) {
    this.findStmt = db.prepare(`SELECT ${CONNECTION_COLUMNS} FROM upstream_connections WHERE subject = ? AND upstream_id = ?`);
    this.saveStmt = db.prepare(
      `INSERT OR REPLACE INTO upstream_connections (subject, upstream_id, auth_profile_id, status, sealed_tokens, scope, access_expires_at, connected_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // The strict binding mode wants every parameter named the same way: numbered, in the filter.
    this.listStmt = db.prepare(`SELECT ${CONNECTION_COLUMNS} FROM upstream_connections WHERE ${FILTER} ORDER BY upstream_id, subject`);
    this.removeStmt = db.prepare(`DELETE FROM upstream_connections WHERE ${FILTER} RETURNING ${CONNECTION_COLUMNS}`);
    this.findClientStmt = db.prepare(
      `SELECT auth_profile_id AS authProfileId, issuer, client_id AS clientId, sealed_secret AS sealedSecret, token_endpoint_auth_method AS tokenEndpointAuthMethod,
       redirect_uri AS redirectUri, kind, created_at AS createdAt FROM upstream_clients WHERE auth_profile_id = ?`,
    );
    this.saveClientStmt = db.prepare(
      `INSERT OR REPLACE INTO upstream_clients (auth_profile_id, issuer, client_id, sealed_secret, token_endpoint_auth_method, redirect_uri, kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.removeClientStmt = db.prepare("DELETE FROM upstream_clients WHERE auth_profile_id = ?");
    this.insertStateStmt = db.prepare("INSERT INTO upstream_connect_states (state_hash, subject, upstream_id, sealed_flow, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)");
    this.takeStateStmt = db.prepare(
      `DELETE FROM upstream_connect_states WHERE state_hash = ? AND expires_at > ?
       RETURNING state_hash AS stateHash, subject, upstream_id AS upstreamId, sealed_flow AS sealedFlow, created_at AS createdAt, expires_at AS expiresAt`,
    );
    this.sweepStmt = db.prepare("DELETE FROM upstream_connect_states WHERE expires_at <= ?");
  }

  async find(subject: string, upstreamId: string): Promise<UpstreamConnectionRow | undefined> {
    await whenIdle(this.gate);
    const row = this.findStmt.get(subject, upstreamId);
    return row ? connection(row) : undefined;
  }

  async save(r: UpstreamConnectionRow): Promise<void> {
    await whenIdle(this.gate);
    this.saveStmt.run(r.subject, r.upstreamId, r.authProfileId, r.status, r.sealedTokens, r.scope, r.accessExpiresAt, r.connectedBy, r.createdAt, r.updatedAt);
  }

  async list(filter: UpstreamConnectionFilter): Promise<UpstreamConnectionRow[]> {
    await whenIdle(this.gate);
    return this.listStmt.all(...filterParams(filter)).map(connection);
  }

  async remove(filter: UpstreamConnectionFilter): Promise<UpstreamConnectionRow[]> {
    await whenIdle(this.gate);
    return this.removeStmt.all(...filterParams(filter)).map(connection);
  }

  async findClient(authProfileId: string): Promise<UpstreamClientRow | undefined> {
    await whenIdle(this.gate);
    const row = this.findClientStmt.get(authProfileId);
    return row ? { ...row, sealedSecret: row.sealedSecret ? bytes(row.sealedSecret) : null } : undefined;
  }

  async saveClient(r: UpstreamClientRow): Promise<void> {
    await whenIdle(this.gate);
    this.saveClientStmt.run(r.authProfileId, r.issuer, r.clientId, r.sealedSecret, r.tokenEndpointAuthMethod, r.redirectUri, r.kind, r.createdAt);
  }

  async removeClient(authProfileId: string): Promise<void> {
    await whenIdle(this.gate);
    this.removeClientStmt.run(authProfileId);
  }

  async insertConnectState(r: UpstreamConnectStateRow): Promise<void> {
    await whenIdle(this.gate);
    this.insertStateStmt.run(r.stateHash, r.subject, r.upstreamId, r.sealedFlow, r.createdAt, r.expiresAt);
  }

  async takeConnectState(stateHash: string, now: number): Promise<UpstreamConnectStateRow | undefined> {
    await whenIdle(this.gate);
    const row = this.takeStateStmt.get(stateHash, now);
    return row ? { ...row, sealedFlow: bytes(row.sealedFlow) } : undefined;
  }

  async sweep(now: number): Promise<number> {
    await whenIdle(this.gate);
    return this.sweepStmt.run(now).changes;
  }

  exclusively<T>(_subject: string, _upstreamId: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }
}
