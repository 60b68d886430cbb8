import type { SQL } from "bun";
import type { StoreHealth } from "../repositories.ts";

// Whether the shared store can take writes, for readiness (the SQLite counterpart is sqlite/health.ts):
// one cheap read per probe, never a write. A server that does not answer within HEALTH_TIMEOUT_MS is
// unreachable for readiness' purpose (a probe must not hang for the pool's connect timeout); a standby
// or a read-only session cannot take writes; and a transaction this process saw fail because the server
// ran out of disk keeps readiness down for FAILURE_MEMORY_MS unless a commit succeeds first.

export const HEALTH_TIMEOUT_MS = 2_000;
export const FAILURE_MEMORY_MS = 30_000;

const HINTS = {
  MCPGW_STORE_UNREACHABLE: "Check that the PostgreSQL server runs and is reachable from this host; mcpgw resumes by itself.",
  MCPGW_STORE_READ_ONLY: "The database takes no writes (a standby, or default_transaction_read_only): point the store URL at the primary.",
  MCPGW_STORE_DISK_FULL: "Free space on the database server (or grow its volume); mcpgw resumes by itself.",
} as const;

type HealthCode = keyof typeof HINTS;

const problem = (code: HealthCode, message: string): StoreHealth => ({ ok: false, code, message, hint: HINTS[code] });

/** A failed write readiness reports (SQLSTATE class 53: insufficient resources), and when (performance.now()). */
export interface WriteFailure {
  readonly error: Error;
  readonly at: number;
}

export function writeFailure(err: unknown, now: number): WriteFailure | undefined {
  const sqlstate = (err as { errno?: unknown }).errno;
  return sqlstate === "53100" ? { error: err as Error, at: now } : undefined;
}

export async function postgresHealth(sql: SQL, location: string, lastWriteFailure: WriteFailure | undefined, now: number): Promise<StoreHealth> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), HEALTH_TIMEOUT_MS)));
  let answer: { standby: boolean; readOnly: string }[] | "timeout";
  try {
    answer = await Promise.race([sql<{ standby: boolean; readOnly: string }[]>`SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS "readOnly"`, timeout]);
  } catch (err) {
    return problem("MCPGW_STORE_UNREACHABLE", `The store ${location} does not answer: ${(err as Error).message}.`);
  } finally {
    clearTimeout(timer);
  }
  if (answer === "timeout") return problem("MCPGW_STORE_UNREACHABLE", `The store ${location} did not answer within ${HEALTH_TIMEOUT_MS} ms (down, unreachable, or every pooled connection busy).`);
  const [row] = answer;
  if (row?.standby || row?.readOnly === "on") return problem("MCPGW_STORE_READ_ONLY", `The store ${location} is ${row.standby ? "a standby" : "read-only"}: it cannot take writes.`);
  if (lastWriteFailure && now - lastWriteFailure.at < FAILURE_MEMORY_MS) {
    return problem("MCPGW_STORE_DISK_FULL", `A write to the store ${location} failed: ${lastWriteFailure.error.message}.`);
  }
  return { ok: true };
}
