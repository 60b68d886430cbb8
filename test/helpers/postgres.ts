import { describe } from "bun:test";
import { postgresBinDir, startPostgresCluster, type PostgresCluster } from "../../scripts/postgres-cluster.ts";

// One PostgreSQL cluster per test run, shared by every file that needs one (bun test loads this module
// once for all files); each test takes its own schema or database in it. Started lazily, stopped by its
// watchdog when the run ends. Without the binaries the PostgreSQL tests are skipped, loudly, on a
// developer's machine; in CI (CI=true) they fail instead, because CI installs the package (.ci/run).

const binDir = postgresBinDir();
let cluster: Promise<PostgresCluster> | undefined;

/** Time for the first caller, who starts the cluster (initdb is a few seconds on a busy machine). */
export const CLUSTER_START_TIMEOUT_MS = 60_000;

export function sharedPostgres(): Promise<PostgresCluster> {
  return (cluster ??= startPostgresCluster(binDir));
}

let schemas = 0;

/** A schema name no other test of this run uses. */
export function freshSchema(): string {
  return `t${process.pid}_${++schemas}`;
}

/** describe() when PostgreSQL can run here; otherwise a skipped block and a warning nobody can miss. */
export function describeWithPostgres(name: string, fn: () => void): void {
  if (binDir || process.env.CI) {
    describe(name, fn);
    return;
  }
  console.warn(`\n*** SKIPPED "${name}": PostgreSQL binaries not found (apt-get install postgresql). CI runs these tests. ***\n`);
  // Skipped only on a developer machine without PostgreSQL: with CI set, the block runs (and fails
  // loudly if the binaries are missing), because .ci/run installs them.
  describe.skip(name, fn);
}
