import { Database } from "bun:sqlite";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../errors.ts";

// One gateway per data dir (issue 18: two gateways on one dir ran silently, each caching what the other
// revoked). The lock is an exclusive SQLite lock on a small file of its own: the operating system drops
// it when the process dies however it dies (kill -9 included), so there is never a stale lock to clear,
// and it works across containers sharing a volume (not on network filesystems, where SQLite's locks are
// unreliable anyway). The pid file beside it is only there to name the holder in the message.

export const LOCK_FILE = "mcpgw.lock";
export const PID_FILE = "mcpgw.pid";

export interface DataDirLock {
  release(): void;
}

function holder(dataDir: string): string {
  try {
    const pid = readFileSync(join(dataDir, PID_FILE), "utf8").trim();
    return /^\d+$/.test(pid) ? `process ${pid}` : "another process";
  } catch {
    return "another process";
  }
}

/** Takes the data dir's lock, or throws MCPGW_STORE_DATA_DIR_LOCKED naming who holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  let db: Database;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    db = new Database(join(dataDir, LOCK_FILE), { create: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EROFS" || /readonly|read-only/i.test(String((err as { code?: string }).code))) {
      throw new StoreError("MCPGW_STORE_READ_ONLY", `The data directory ${dataDir} is on a read-only file system.`, "Remount the file system read-write or fix the directory's ownership, then start again.", { cause: err });
    }
    throw new StoreError("MCPGW_STORE_DATA_DIR", `Cannot create the data directory ${dataDir} or its lock file.`, "Check the path and its permissions, or pass --data-dir.", { cause: err });
  }
  try {
    db.run("PRAGMA busy_timeout = 0");
    db.run("PRAGMA locking_mode = EXCLUSIVE");
    db.run("BEGIN EXCLUSIVE");
  } catch (err) {
    db.close();
    // A read-only data dir cannot be locked, nor served: say what is wrong, not "in use".
    const code = (err as { code?: string }).code ?? "";
    if (code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN")) {
      throw new StoreError("MCPGW_STORE_READ_ONLY", `The data directory ${dataDir} cannot be written (${code}).`, "Remount the file system read-write or fix the directory's ownership, then start again.", { cause: err });
    }
    throw new StoreError(
      "MCPGW_STORE_DATA_DIR_LOCKED",
      `The data directory ${dataDir} is in use by ${holder(dataDir)}: another mcpgw is serving from it.`,
      "Run one gateway per data directory: stop the other one, or give this one its own --data-dir. Several gateways need a shared store, which this version does not have.",
      { cause: err },
    );
  }
  try {
    writeFileSync(join(dataDir, PID_FILE), `${process.pid}\n`);
  } catch (err) {
    db.close();
    // SQLite locks a read-only file in memory; the first real write tells.
    if ((err as NodeJS.ErrnoException).code === "EROFS" || (err as NodeJS.ErrnoException).code === "EACCES") {
      throw new StoreError("MCPGW_STORE_READ_ONLY", `The data directory ${dataDir} cannot be written (${(err as NodeJS.ErrnoException).code}).`, "Remount the file system read-write or fix the directory's ownership, then start again.", { cause: err });
    }
    throw new StoreError("MCPGW_STORE_DATA_DIR", `Cannot write ${join(dataDir, PID_FILE)}: ${(err as Error).message}.`, "Check the data directory's permissions and free space.", { cause: err });
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      if (holder(dataDir) === `process ${process.pid}`) rmSync(join(dataDir, PID_FILE), { force: true });
      db.close();
    },
  };
}
