import { Database, SQLiteError } from "bun:sqlite";
import { mkdirSync, accessSync, constants, existsSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../errors.ts";
import { MIGRATIONS, type Migration } from "./migrations.ts";
import { SqliteStore } from "./store.ts";

export const STORE_FILE = "mcpgw.sqlite";

export interface OpenStoreOptions {
  /** How long a write waits for another writer before failing (SQLITE_BUSY). */
  busyTimeoutMs?: number;
  migrations?: readonly Migration[];
}

/**
 * Open (or create) the gateway's SQLite file: WAL, busy_timeout, foreign keys, then apply pending
 * migrations in one transaction each. Any problem is a StoreError with a code and a hint; the file is
 * never recreated or reset behind the user's back.
 */
export function openSqliteStore(dataDir: string, options: OpenStoreOptions = {}): SqliteStore {
  const migrations = options.migrations ?? MIGRATIONS;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new StoreError("MCPGW_STORE_DATA_DIR", `Cannot create the data directory ${dataDir}.`, "Check the path and its permissions, or pass --data-dir.", { cause: err });
  }
  const path = join(dataDir, STORE_FILE);
  if (existsSync(path)) {
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EROFS") {
        throw new StoreError("MCPGW_STORE_READ_ONLY", `The store ${path} is on a read-only file system.`, "Remount it read-write, or point --data-dir at a writable directory; the file was left untouched.", { cause: err });
      }
      throw new StoreError("MCPGW_STORE_UNREADABLE", `The store ${path} is not readable and writable by this user.`, "Fix its ownership/permissions (the gateway needs read and write).", { cause: err });
    }
  }
  let db: Database;
  try {
    db = new Database(path, { create: true, strict: true });
  } catch (err) {
    throw new StoreError("MCPGW_STORE_UNREADABLE", `Cannot open the store ${path}: ${(err as Error).message}.`, "Check the file and its permissions.", { cause: err });
  }
  try {
    db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    // Reading the header validates the file: a non-SQLite file fails here with SQLITE_NOTADB.
    db.query("SELECT count(*) FROM sqlite_master").get();
    const mode = db.query<{ journal_mode: string }, []>("PRAGMA journal_mode = WAL").get();
    if (mode?.journal_mode !== "wal") throw new Error(`journal_mode is ${mode?.journal_mode}`);
    db.run("PRAGMA synchronous = NORMAL");
    db.run("PRAGMA foreign_keys = ON");
    const schemaVersion = migrate(db, path, migrations);
    return new SqliteStore(db, path, schemaVersion);
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    throw classify(err, path, busyTimeoutMs);
  }
}

function classify(err: unknown, path: string, busyTimeoutMs: number): StoreError {
  const code = err instanceof SQLiteError ? err.code : undefined;
  const message = (err as Error).message ?? String(err);
  if (code?.startsWith("SQLITE_BUSY") || code?.startsWith("SQLITE_LOCKED") || /database is locked/i.test(message)) {
    return new StoreError("MCPGW_STORE_LOCKED", `The store ${path} is locked by another writer (waited ${busyTimeoutMs} ms).`, "Another mcpgw (or a sqlite3 shell) holds a write lock on it: stop it, or give this instance its own --data-dir.", { cause: err });
  }
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT" || /not a database|malformed/i.test(message)) {
    return new StoreError("MCPGW_STORE_UNREADABLE", `The store ${path} is not a readable SQLite database (${message}).`, "Restore it from a backup, or move it aside to start with an empty store (this loses stored clients and tokens).", { cause: err });
  }
  return new StoreError("MCPGW_STORE_OPEN_FAILED", `Cannot open the store ${path}: ${message}.`, "Check the data directory, its permissions and free disk space.", { cause: err });
}

function migrate(db: Database, path: string, migrations: readonly Migration[]): number {
  db.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const row = db.query<{ v: number | null }, []>("SELECT max(version) AS v FROM schema_migrations").get();
  const current = row?.v ?? 0;
  const known = migrations.at(-1)?.version ?? 0;
  if (current > known) {
    throw new StoreError(
      "MCPGW_STORE_SCHEMA_TOO_NEW",
      `The store ${path} has schema version ${current}, but this mcpgw knows only up to ${known}.`,
      "It was written by a newer mcpgw: run that version, or restore a backup made for this one. The file was left untouched.",
    );
  }
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.run(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    }).immediate();
  }
  return Math.max(current, known);
}
