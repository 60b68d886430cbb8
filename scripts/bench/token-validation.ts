import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessTokenValidator } from "../../src/oauth/access-tokens.ts";
import { hashCredential, mintCredential } from "../../src/oauth/credentials.ts";
import { openStore } from "../../src/store/open.ts";
import { openPostgresStore } from "../../src/store/postgres/open.ts";
import type { Store } from "../../src/store/repositories.ts";
import { postgresBinDir, startPostgresCluster, type PostgresCluster } from "../postgres-cluster.ts";
import { median, table } from "./report.ts";

// The cost of validating a gateway access token when the store holds 10k and 1M of them, with the real
// pieces in process: the store (through its repository interface, as the gateway uses it) and the
// AccessTokenValidator.
//
// Per store size: fill the store (one grant per 1000 tokens; only the sampled tokens are minted and
// hashed for real, the rest get random keys of the same shape, which is all a B-tree lookup sees; rows
// go in in key order with a large page cache, or a million random-order inserts take ~40 s), then
// time `validate()` on SAMPLE distinct tokens with a fresh validator (every call misses the in-memory
// cache and reads SQLite), and again on the same tokens (every call hits the cache).
//
// The same for the shared store (PostgreSQL 15 from Debian, a throwaway cluster on loopback, fsync off:
// the lookup is what is timed, not durability), when its binaries are installed: a miss is one round
// trip over the pool (a JOIN of token and grant); the rows go in by INSERT … SELECT FROM unnest().

export type TokenValidationResult =
  | { readonly status: "not available yet"; readonly reason: string }
  | { readonly status: "measured"; readonly sample: number; readonly rows: readonly TokenValidationRow[] };

export interface TokenValidationRow {
  readonly backend: "SQLite" | "PostgreSQL";
  readonly storedTokens: number;
  readonly fillSeconds: number;
  readonly storeMiB: number;
  /** µs per validate(), median of the repeats. */
  readonly cacheMissUs: number;
  readonly cacheHitUs: number;
}

const SAMPLE = 5_000;
const REPEATS = 3;
const RESOURCE = "http://127.0.0.1:9000/mcp/bench";
const OPERATION_ID = "bench";
const LIFETIME_MS = 3_600_000;

function randomKeys(count: number): string[] {
  const bytes = crypto.getRandomValues(new Uint8Array(32 * Math.min(count, 65_536 / 32)));
  const keys: string[] = [];
  while (keys.length < count) {
    crypto.getRandomValues(bytes);
    for (let i = 0; i + 32 <= bytes.length && keys.length < count; i += 32) keys.push(Buffer.from(bytes.subarray(i, i + 32)).toString("base64url"));
  }
  return keys;
}

function dirMiB(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0) / 1024 / 1024;
}

async function fill(dataDir: string, hashes: readonly string[], now: number): Promise<number> {
  const store = await openStore(dataDir);
  try {
    const started = performance.now();
    await store.transaction(async (tx) => {
      for (let i = 0; i < hashes.length; i++) {
        const grantId = `grant_${String(Math.floor(i / 1000)).padStart(7, "0")}`;
        if (i % 1000 === 0) {
          await tx.tokens.insertGrant({ grantId, clientId: "bench-client", subject: "bench-user", claims: "{}", resource: RESOURCE, operationId: OPERATION_ID, scope: "mcp", createdAt: now, expiresAt: now + LIFETIME_MS });
        }
        await tx.tokens.insertToken(hashes[i]!, "access", grantId, now, now + LIFETIME_MS);
      }
    });
    return (performance.now() - started) / 1_000;
  } finally {
    await store.close();
  }
}

interface Backend {
  readonly name: TokenValidationRow["backend"];
  /** A fresh empty store, filled with `hashes` (sorted) under one grant per 1000; how long that took. */
  create(stored: number, hashes: readonly string[], now: number): Promise<{ fillSeconds: number; reopen(): Promise<Store>; sizeMiB(): Promise<number>; remove(): Promise<void> }>;
}

const sqliteBackend: Backend = {
  name: "SQLite",
  async create(_stored, hashes, now) {
    const dataDir = mkdtempSync(join(tmpdir(), "mcpgw-bench-tokens-"));
    const fillSeconds = await fill(dataDir, hashes, now);
    return { fillSeconds, reopen: () => openStore(dataDir), sizeMiB: async () => dirMiB(dataDir), remove: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
};

function postgresBackend(cluster: PostgresCluster): Backend {
  return {
    name: "PostgreSQL",
    async create(stored, hashes, now) {
      const url = await cluster.createDatabase(`bench_tokens_${stored}_${Date.now()}`);
      const store = await openPostgresStore(url);
      const started = performance.now();
      try {
        const sql = store.sql;
        await sql`INSERT INTO oauth_grants (grant_id, client_id, subject, claims, resource, operation_id, scope, created_at, expires_at)
          SELECT 'grant_' || lpad(g::text, 7, '0'), 'bench-client', 'bench-user', '{}', ${RESOURCE}, ${OPERATION_ID}, 'mcp', ${now}, ${now + LIFETIME_MS}
          FROM generate_series(0, ${Math.ceil(hashes.length / 1000) - 1}) AS g`;
        for (let i = 0; i < hashes.length; i += 50_000) {
          await sql`INSERT INTO oauth_tokens (token_hash, kind, grant_id, created_at, expires_at)
            SELECT h, 'access', 'grant_' || lpad(((n - 1 + ${i}) / 1000)::text, 7, '0'), ${now}, ${now + LIFETIME_MS}
            FROM unnest(${sql.array(hashes.slice(i, i + 50_000), "TEXT")}::text[]) WITH ORDINALITY AS t(h, n)`;
        }
        await sql`VACUUM ANALYZE oauth_tokens`.simple();
        await sql`VACUUM ANALYZE oauth_grants`.simple();
      } finally {
        await store.close();
      }
      const fillSeconds = (performance.now() - started) / 1_000;
      return {
        fillSeconds,
        reopen: () => openPostgresStore(url),
        async sizeMiB() {
          const s = await openPostgresStore(url);
          try {
            return Number((await s.sql`SELECT pg_database_size(current_database()) AS b`)[0].b) / 1024 / 1024;
          } finally {
            await s.close();
          }
        },
        remove: async () => {},
      };
    },
  };
}

async function measureSize(backend: Backend, stored: number): Promise<TokenValidationRow> {
  const sample = Array.from({ length: Math.min(SAMPLE, stored) }, () => mintCredential("at"));
  const hashes = [...sample.map(hashCredential), ...randomKeys(stored - sample.length)].sort();
  const created = await backend.create(stored, hashes, Date.now());
  try {
    // Validation runs on a fresh connection, with the store's own settings and page cache, as the gateway's.
    const store = await created.reopen();
    const miss: number[] = [];
    const hit: number[] = [];
    try {
      for (let r = 0; r < REPEATS; r++) {
        const validator = new AccessTokenValidator(store.tokens, Date.now);
        // A miss reads the store (async); a hit is answered synchronously from the cache.
        const timeAll = async () => {
          const t0 = performance.now();
          for (const token of sample) await validator.validate(token, RESOURCE, OPERATION_ID);
          return ((performance.now() - t0) * 1_000) / sample.length;
        };
        miss.push(await timeAll());
        const t0 = performance.now();
        for (const token of sample) validator.validate(token, RESOURCE, OPERATION_ID);
        hit.push(((performance.now() - t0) * 1_000) / sample.length);
      }
    } finally {
      await store.close();
    }
    return { backend: backend.name, storedTokens: stored, fillSeconds: created.fillSeconds, storeMiB: await created.sizeMiB(), cacheMissUs: median(miss), cacheHitUs: median(hit) };
  } finally {
    await created.remove();
  }
}

export async function measureTokenValidation(sizes: readonly number[], say: (line: string) => void): Promise<TokenValidationResult> {
  const rows: TokenValidationRow[] = [];
  const pgBin = postgresBinDir();
  if (!pgBin) say("token validation: PostgreSQL binaries not found (apt-get install postgresql); measuring SQLite only");
  const cluster = pgBin ? await startPostgresCluster(pgBin) : undefined;
  try {
    for (const backend of cluster ? [sqliteBackend, postgresBackend(cluster)] : [sqliteBackend]) {
      for (const stored of sizes) {
        const row = await measureSize(backend, stored);
        say(`token validation, ${backend.name}, ${stored} stored: miss ${row.cacheMissUs.toFixed(2)} µs, hit ${row.cacheHitUs.toFixed(2)} µs (filled in ${row.fillSeconds.toFixed(1)} s)`);
        rows.push(row);
      }
    }
  } catch (err) {
    return { status: "not available yet", reason: `the token store API differs from what this hook expects: ${(err as Error).message.split("\n")[0]}` };
  } finally {
    cluster?.stop();
  }
  return { status: "measured", sample: SAMPLE, rows };
}

export function tokenValidationMarkdown(result: TokenValidationResult): string {
  if (result.status === "not available yet") return `Not available yet: ${result.reason}.\n`;
  return [
    `In process, ${result.sample} distinct sampled tokens, median of ${REPEATS} repeats. A miss reads the store through its repository: SQLite (WAL, two primary-key lookups: token, then grant) or PostgreSQL on loopback (one round trip, a JOIN of token and grant); a hit is served by the validator's LRU whatever the store.`,
    "",
    table(
      ["store", "stored tokens", "fill s", "store MiB", "µs/validate (cache miss)", "µs/validate (cache hit)"],
      result.rows.map((r) => [r.backend, r.storedTokens.toLocaleString("en-US"), r.fillSeconds.toFixed(1), r.storeMiB.toFixed(0), r.cacheMissUs.toFixed(2), r.cacheHitUs.toFixed(2)]),
    ),
    "",
  ].join("\n");
}
