import type { Database, Statement } from "bun:sqlite";
import type { ClientRepository, ClientRow } from "../repositories.ts";
import { whenIdle, type TransactionGate } from "./gate.ts";

export class SqliteClientRepository implements ClientRepository {
  private readonly insertStmt: Statement;
  private readonly findStmt: Statement<ClientRow, [string, number]>;
  private readonly sweepStmt: Statement;
  private readonly countStmt: Statement<{ n: number }, [number]>;
  private readonly markUsedStmt: Statement;
  private readonly sweepConsentsStmt: Statement;
  private readonly listStmt: Statement<ClientRow, [number]>;
  private readonly deleteStmt: Statement;
  private readonly deleteConsentsStmt: Statement;

  constructor(
    private readonly db: Database,
    private readonly gate?: TransactionGate,
  ) {
    this.insertStmt = db.prepare("INSERT INTO oauth_clients (client_id, secret_hash, metadata, created_at, expires_at) VALUES (?, ?, ?, ?, ?)");
    this.findStmt = db.prepare(
      "SELECT client_id AS clientId, secret_hash AS secretHash, metadata, created_at AS createdAt, expires_at AS expiresAt FROM oauth_clients WHERE client_id = ? AND expires_at > ?",
    );
    this.sweepConsentsStmt = db.prepare("DELETE FROM oauth_consents WHERE client_id IN (SELECT client_id FROM oauth_clients WHERE expires_at <= ?)");
    this.sweepStmt = db.prepare("DELETE FROM oauth_clients WHERE expires_at <= ?");
    this.countStmt = db.prepare("SELECT count(*) AS n FROM oauth_clients WHERE expires_at > ?");
    this.markUsedStmt = db.prepare("UPDATE oauth_clients SET expires_at = created_at + ?1 WHERE client_id = ?2 AND expires_at < created_at + ?1");
    this.listStmt = db.prepare(
      "SELECT client_id AS clientId, secret_hash AS secretHash, metadata, created_at AS createdAt, expires_at AS expiresAt FROM oauth_clients WHERE expires_at > ? ORDER BY created_at, client_id",
    );
    this.deleteConsentsStmt = db.prepare("DELETE FROM oauth_consents WHERE client_id = ?");
    this.deleteStmt = db.prepare("DELETE FROM oauth_clients WHERE client_id = ?");
  }

  async insert(row: ClientRow): Promise<void> {
    await whenIdle(this.gate);
    this.insertStmt.run(row.clientId, row.secretHash, row.metadata, row.createdAt, row.expiresAt);
  }

  async find(clientId: string, now: number): Promise<ClientRow | undefined> {
    await whenIdle(this.gate);
    return this.findStmt.get(clientId, now) ?? undefined;
  }

  async count(now: number): Promise<number> {
    await whenIdle(this.gate);
    return this.countStmt.get(now)?.n ?? 0;
  }

  async markUsed(clientId: string, lifetimeMs: number): Promise<void> {
    await whenIdle(this.gate);
    this.markUsedStmt.run(lifetimeMs, clientId);
  }

  async sweep(now: number): Promise<number> {
    await whenIdle(this.gate);
    this.sweepConsentsStmt.run(now);
    return this.sweepStmt.run(now).changes;
  }

  async list(now: number): Promise<ClientRow[]> {
    await whenIdle(this.gate);
    return this.listStmt.all(now);
  }

  async delete(clientId: string): Promise<boolean> {
    await whenIdle(this.gate);
    return this.db.transaction(() => {
      this.deleteConsentsStmt.run(clientId);
      return this.deleteStmt.run(clientId).changes === 1;
    })();
  }
}
