import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "./repositories.ts";
import { openSqliteStore, STORE_FILE, type OpenStoreOptions } from "./sqlite/open.ts";

export { StoreError } from "./errors.ts";
export { lockDataDir, type DataDirLock } from "./sqlite/data-dir-lock.ts";
export type { OpenStoreOptions };

/**
 * The gateway's store for a data dir: the embedded SQLite file (the only backend today; a server
 * backend would be chosen here from configuration). Async so a networked backend can connect.
 */
export async function openStore(dataDir: string, options: OpenStoreOptions = {}): Promise<Store> {
  return openSqliteStore(dataDir, options);
}

/** Whether the data dir holds a store yet: admin commands read an existing store and never create one. */
export function storeExists(dataDir: string): boolean {
  return existsSync(join(dataDir, STORE_FILE));
}
