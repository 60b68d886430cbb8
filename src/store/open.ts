import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "./repositories.ts";
import { StoreError } from "./errors.ts";
import { openPostgresStore } from "./postgres/open.ts";
import { openSqliteStore, STORE_FILE, type OpenStoreOptions as SqliteOptions } from "./sqlite/open.ts";

export { StoreError };
export { lockDataDir, type DataDirLock } from "./sqlite/data-dir-lock.ts";

export interface OpenStoreOptions extends SqliteOptions {
  /** A postgres:// URL: the shared store of a fleet; "sqlite" or nothing: the data dir's SQLite file. */
  url?: string;
}

/** What in a store URL must never reach the log: its password (URL-decoded too). */
export function storeUrlSecrets(url: string): string[] {
  try {
    const password = new URL(url).password;
    return password ? [...new Set([password, decodeURIComponent(password)])] : [];
  } catch {
    return [];
  }
}

/** Whether `location` names a PostgreSQL server (the only shared backend). */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * The gateway's store: the embedded SQLite file in the data dir, or the PostgreSQL database a fleet of
 * gateways shares when `url` names one. Async so a networked backend can connect.
 */
export async function openStore(dataDir: string, options: OpenStoreOptions = {}): Promise<Store> {
  const { url, ...sqlite } = options;
  if (url === undefined || url === "sqlite") return openSqliteStore(dataDir, sqlite);
  if (isPostgresUrl(url)) return openPostgresStore(url);
  throw new StoreError("MCPGW_STORE_URL_INVALID", `The store "${url.split(":")[0]}:…" is neither "sqlite" nor a postgres:// URL.`, "Use postgres://user:password@host:5432/database for a shared store, or leave it unset for the data dir's SQLite file.");
}

/** Whether the data dir holds a store yet: admin commands read an existing store and never create one. */
export function storeExists(dataDir: string): boolean {
  return existsSync(join(dataDir, STORE_FILE));
}
