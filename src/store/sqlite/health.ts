import { SQLiteError } from "bun:sqlite";
import { accessSync, constants, statfsSync } from "node:fs";
import { dirname } from "node:path";
import type { StoreHealth } from "../repositories.ts";

// Whether the SQLite file can take writes, for readiness (issue 18: a full disk or a read-only data dir
// must show on /__mcpgw/health/ready, not only as failed token requests). No probe write: a readiness
// endpoint anyone can call must not cost a WAL frame. What it reads: the file system's verdict on
// writing (a read-only mount, lost permissions), its free space, and a write this process saw fail in
// the last FAILURE_MEMORY_MS, until a later write succeeds. The memory is short on purpose: a gateway
// that reads as not ready gets no traffic, so it must not wait for a successful write to recover.

/** Below this much free space SQLite may fail to grow the WAL or the file; readiness reports it early. */
export const MIN_FREE_BYTES = 64 * 1024;
/** How long a failed write keeps readiness down unless a write succeeds first. */
export const FAILURE_MEMORY_MS = 30_000;

/** A write that failed for a reason readiness reports, when (performance.now()), and the free space then. */
export interface WriteFailure {
  readonly error: Error;
  readonly at: number;
  readonly freeBytes: number;
}

function freeBytes(dir: string): number {
  const fs = statfsSync(dir);
  return fs.bavail * fs.bsize;
}

/** The failure to remember for `err`, if readiness should report it. */
export function writeFailure(err: unknown, path: string, now: number): WriteFailure | undefined {
  if (!writeFailureCode(err)) return undefined;
  let free = 0;
  try {
    free = freeBytes(dirname(path));
  } catch {
    // The directory itself is gone or unreadable: the access check reports that.
  }
  return { error: err as Error, at: now, freeBytes: free };
}

const HINTS = {
  MCPGW_STORE_DISK_FULL: "Free space on the data directory's file system (or move --data-dir to a larger one); mcpgw resumes by itself.",
  MCPGW_STORE_READ_ONLY: "The data directory or the store file cannot be written: remount the file system read-write or fix ownership; mcpgw resumes by itself.",
  MCPGW_STORE_IO_ERROR: "The store's disk reported an I/O error: check the device and the kernel log, then restart mcpgw.",
} as const;

type HealthCode = keyof typeof HINTS;

const problem = (code: HealthCode, message: string): StoreHealth => ({ ok: false, code, message, hint: HINTS[code] });

/** Which health problem a failed write means, if it is one (SQLite's extended codes share these prefixes). */
export function writeFailureCode(err: unknown): HealthCode | undefined {
  const code = err instanceof SQLiteError ? err.code : undefined;
  if (code === undefined) return undefined;
  if (code.startsWith("SQLITE_FULL")) return "MCPGW_STORE_DISK_FULL";
  if (code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_PERM")) return "MCPGW_STORE_READ_ONLY";
  if (code.startsWith("SQLITE_IOERR")) return "MCPGW_STORE_IO_ERROR";
  return undefined;
}

export function sqliteHealth(path: string, lastWriteFailure: WriteFailure | undefined, now: number): StoreHealth {
  const dir = dirname(path);
  try {
    // WAL mode writes the -wal and -shm files beside the store: the directory must be writable too.
    accessSync(dir, constants.W_OK);
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (err) {
    return problem("MCPGW_STORE_READ_ONLY", `The store ${path} cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  const free = freeBytes(dir);
  if (free < MIN_FREE_BYTES) return problem("MCPGW_STORE_DISK_FULL", `The file system of ${dir} has ${free} bytes free; the store needs room to write.`);
  const failed = lastWriteFailure && now - lastWriteFailure.at < FAILURE_MEMORY_MS ? writeFailureCode(lastWriteFailure.error) : undefined;
  // A full disk that has gained space since is worth a write again: nothing else would try one.
  if (failed === "MCPGW_STORE_DISK_FULL" && free > lastWriteFailure!.freeBytes) return { ok: true };
  if (failed) return problem(failed, `A write to the store ${path} failed: ${lastWriteFailure!.error.message}.`);
  return { ok: true };
}
