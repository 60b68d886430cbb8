import type { SQL } from "bun";
import type { ClientRepository, ClientRow } from "../repositories.ts";
import { ms } from "./rows.ts";

type Row = Omit<ClientRow, "createdAt" | "expiresAt"> & { createdAt: string; expiresAt: string };
const client = (row: Row): ClientRow => ({ ...row, createdAt: ms(row.createdAt), expiresAt: ms(row.expiresAt) });

export class PostgresClientRepository implements ClientRepository {
  constructor(private readonly sql: SQL) {}

  async insert(row: ClientRow): Promise<void> {
    await this.sql`INSERT INTO oauth_clients (client_id, secret_hash, metadata, created_at, expires_at)
      VALUES (${row.clientId}, ${row.secretHash}, ${row.metadata}, ${row.createdAt}, ${row.expiresAt})`;
  }

  async find(clientId: string, now: number): Promise<ClientRow | undefined> {
    const [row] = await this.sql<Row[]>`SELECT client_id AS "clientId", secret_hash AS "secretHash", metadata, created_at AS "createdAt",
      expires_at AS "expiresAt" FROM oauth_clients WHERE client_id = ${clientId} AND expires_at > ${now}`;
    return row && client(row);
  }

  async count(now: number): Promise<number> {
    const [row] = await this.sql<{ n: string }[]>`SELECT count(*) AS n FROM oauth_clients WHERE expires_at > ${now}`;
    return ms(row!.n);
  }

  async markUsed(clientId: string, lifetimeMs: number): Promise<void> {
    await this.sql`UPDATE oauth_clients SET expires_at = created_at + ${lifetimeMs}::bigint
      WHERE client_id = ${clientId} AND expires_at < created_at + ${lifetimeMs}::bigint`;
  }

  async sweep(now: number): Promise<number> {
    // One statement: the consents go with their clients (both deletes see the same snapshot).
    const [row] = await this.sql<{ n: string }[]>`WITH gone AS (DELETE FROM oauth_clients WHERE expires_at <= ${now} RETURNING client_id),
      consents AS (DELETE FROM oauth_consents WHERE client_id IN (SELECT client_id FROM gone))
      SELECT count(*) AS n FROM gone`;
    return ms(row!.n);
  }

  async list(now: number): Promise<ClientRow[]> {
    // COLLATE "C": the byte order SQLite sorts by, whatever the database's locale.
    const rows = await this.sql<Row[]>`SELECT client_id AS "clientId", secret_hash AS "secretHash", metadata, created_at AS "createdAt",
      expires_at AS "expiresAt" FROM oauth_clients WHERE expires_at > ${now} ORDER BY created_at, client_id COLLATE "C"`;
    return rows.map(client);
  }

  async delete(clientId: string): Promise<boolean> {
    const [row] = await this.sql<{ n: string }[]>`WITH gone AS (DELETE FROM oauth_clients WHERE client_id = ${clientId} RETURNING client_id),
      consents AS (DELETE FROM oauth_consents WHERE client_id = ${clientId})
      SELECT count(*) AS n FROM gone`;
    return ms(row!.n) === 1;
  }
}
