import type { Database, Statement } from "bun:sqlite";

/** A dynamically registered client (RFC 7591). `metadata` is the validated metadata, as JSON text. */
export interface ClientRow {
  readonly clientId: string;
  /** SHA-256 of the client secret; null for public clients. */
  readonly secretHash: string | null;
  readonly metadata: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** DCR clients. CIMD clients are not stored: their document is the registration (see src/oauth/cimd.ts). */
export class OAuthClientStore {
  private readonly insertStmt: Statement;
  private readonly findStmt: Statement<ClientRow, [string, number]>;
  private readonly sweepStmt: Statement;
  private readonly sweepConsentsStmt: Statement;

  constructor(db: Database) {
    this.insertStmt = db.prepare("INSERT INTO oauth_clients (client_id, secret_hash, metadata, created_at, expires_at) VALUES (?, ?, ?, ?, ?)");
    this.findStmt = db.prepare(
      "SELECT client_id AS clientId, secret_hash AS secretHash, metadata, created_at AS createdAt, expires_at AS expiresAt FROM oauth_clients WHERE client_id = ? AND expires_at > ?",
    );
    this.sweepConsentsStmt = db.prepare("DELETE FROM oauth_consents WHERE client_id IN (SELECT client_id FROM oauth_clients WHERE expires_at <= ?)");
    this.sweepStmt = db.prepare("DELETE FROM oauth_clients WHERE expires_at <= ?");
  }

  insert(row: ClientRow): void {
    this.insertStmt.run(row.clientId, row.secretHash, row.metadata, row.createdAt, row.expiresAt);
  }

  /** The client, unless it is unknown or has expired. */
  find(clientId: string, now: number): ClientRow | undefined {
    return this.findStmt.get(clientId, now) ?? undefined;
  }

  /** Removes expired clients and the consents given to them; returns how many clients went. */
  sweep(now: number): number {
    this.sweepConsentsStmt.run(now);
    return this.sweepStmt.run(now).changes;
  }
}
