import { SQL } from "bun";
import { StoreError } from "../errors.ts";
import type { Migration } from "../sqlite/migrations.ts";
import { PG_MIGRATIONS } from "./migrations.ts";
import { PostgresStore } from "./store.ts";

/** Connections for fleet-wide locks (PostgresStore.exclusive), opened only while refreshes run. */
export const LOCK_CONNECTIONS = 4;

export interface OpenPostgresOptions {
  /** Connections in this process's pool (default 10; see docs/fleet.md#sizing). */
  maxConnections?: number;
  /** A schema to use instead of the login role's search_path (created if missing): tests, shared databases. */
  schema?: string;
  migrations?: readonly Migration[];
}

/** postgres://user:secret@host/db → postgres://user:***@host/db, for logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.href;
  } catch {
    return "postgres://(unparseable URL)";
  }
}

/**
 * Connect to the fleet's PostgreSQL database and bring its schema up to date. Instances starting together
 * migrate one at a time: each takes a transaction-scoped advisory lock first, so the second one finds the
 * first one's migrations committed and applies nothing. Problems are StoreErrors with a code and a hint.
 */
export async function openPostgresStore(url: string, options: OpenPostgresOptions = {}): Promise<PostgresStore> {
  const location = redactedUrl(url);
  if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
    throw new StoreError("MCPGW_STORE_URL_INVALID", `"${options.schema}" is not a plain schema name.`, "Use lower-case letters, digits and underscores.");
  }
  const connect = (max: number, idleTimeout: number) =>
    new SQL(url, {
      adapter: "postgres",
      max,
      connectionTimeout: 10,
      idleTimeout,
      connection: { application_name: "mcpgw", ...(options.schema ? { search_path: options.schema } : {}) },
    });
  let sql: SQL;
  try {
    sql = connect(options.maxConnections ?? 10, 60);
  } catch (err) {
    throw new StoreError("MCPGW_STORE_URL_INVALID", `The store URL ${location} is not a usable PostgreSQL URL: ${(err as Error).message}.`, "Write it as postgres://user:password@host:5432/database (docs/fleet.md).", { cause: err });
  }
  try {
    const schemaVersion = await migrate(sql, location, options.schema, options.migrations ?? PG_MIGRATIONS);
    // Fleet-wide locks (upstream refresh) hold a connection while they wait: a few, apart from the pool.
    return new PostgresStore(sql, location, schemaVersion, () => connect(LOCK_CONNECTIONS, 10));
  } catch (err) {
    await sql.close({ timeout: 0 });
    if (err instanceof StoreError) throw err;
    throw classify(err, location);
  }
}

async function migrate(sql: SQL, location: string, schema: string | undefined, migrations: readonly Migration[]): Promise<number> {
  return sql.begin(async (tx) => {
    // hashtext() of a fixed name: every mcpgw migrating this database (and schema) waits on the same key.
    await tx`SELECT pg_advisory_xact_lock(hashtext(${`mcpgw:migrate:${schema ?? ""}`}))`;
    if (schema) await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`;
    const [row] = await tx<{ v: number | null }[]>`SELECT max(version) AS v FROM schema_migrations`;
    const current = row?.v ?? 0;
    const known = migrations.at(-1)?.version ?? 0;
    if (current > known) {
      throw new StoreError(
        "MCPGW_STORE_SCHEMA_TOO_NEW",
        `The store ${location} has schema version ${current}, but this mcpgw knows only up to ${known}.`,
        "A newer mcpgw migrated it: run that version on every instance (rolling upgrades go forward only), or restore a backup made for this one. Nothing was changed.",
      );
    }
    for (const m of migrations) {
      if (m.version <= current) continue;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO schema_migrations (version, name) VALUES (${m.version}, ${m.name})`;
    }
    return Math.max(current, known);
  });
}

/** SQLSTATEs and Bun's connection codes → what the operator should do. */
function classify(err: unknown, location: string): StoreError {
  const e = err as { code?: string; errno?: string; message?: string };
  const message = e.message ?? String(err);
  if (e.errno === "28P01" || e.errno === "28000" || /password authentication|authentication failed/i.test(message)) {
    return new StoreError("MCPGW_STORE_AUTH_FAILED", `PostgreSQL refused the login for ${location}: ${message}.`, "Check the user and password in the store URL (and pg_hba.conf).", { cause: err });
  }
  if (e.errno === "3D000") {
    return new StoreError("MCPGW_STORE_DATABASE_MISSING", `The database in ${location} does not exist.`, "Create it (createdb, or CREATE DATABASE) and give the gateway's role CREATE on it; mcpgw creates its tables.", { cause: err });
  }
  if (e.errno === "42501") {
    return new StoreError("MCPGW_STORE_PERMISSION_DENIED", `The role in ${location} may not create mcpgw's tables: ${message}.`, "GRANT CREATE ON SCHEMA public (or the schema you use) TO the gateway's role, or run the first start as the owner.", { cause: err });
  }
  if (/CONNECTION|ECONNREFUSED|timeout|TLS|SSL/i.test(`${e.code ?? ""} ${message}`)) {
    return new StoreError("MCPGW_STORE_UNREACHABLE", `Cannot connect to PostgreSQL at ${location}: ${message}.`, "Check that the server runs and is reachable from this host (host, port, TLS mode in the URL).", { cause: err });
  }
  return new StoreError("MCPGW_STORE_OPEN_FAILED", `Cannot open the store ${location}: ${message}.`, "Check the database server's log.", { cause: err });
}
