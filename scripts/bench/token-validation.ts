import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, table } from "./report.ts";

// HOOK (issue #13): the cost of validating a gateway access token when the store holds 10k and 1M of
// them. It drives the real pieces in process (src/store: openStore + OAuthTokenStore, src/oauth:
// AccessTokenValidator + credentials), loaded dynamically and typed structurally below, so the harness
// keeps compiling while src/oauth evolves. When those modules or exports are not there, the section
// reports "not available yet" with the reason instead of failing the run.
//
// Per store size: fill the store (one grant per 1000 tokens; only the sampled tokens are minted and
// hashed for real, the rest get random keys of the same shape, which is all a B-tree lookup sees; rows
// go in in key order with a large page cache, or a million random-order inserts take ~40 s), then
// time `validate()` on SAMPLE distinct tokens with a fresh validator (every call misses the in-memory
// cache and reads SQLite), and again on the same tokens (every call hits the cache).

interface StoreModule {
  openStore(dataDir: string): { db: { transaction<T>(fn: () => T): () => T; run(sql: string): unknown }; close(): void; path: string };
}
interface TokenStoreModule {
  OAuthTokenStore: new (db: unknown) => {
    insertGrant(g: Record<string, unknown>): void;
    insertToken(tokenHash: string, kind: "access", grantId: string, createdAt: number, expiresAt: number): void;
  };
}
interface ValidatorModule {
  AccessTokenValidator: new (tokens: unknown, now: () => number) => { validate(token: string, resource: string, operationId: string): unknown };
}
interface CredentialsModule {
  mintCredential(kind: "at"): string;
  hashCredential(value: string): string;
}

export type TokenValidationResult =
  | { readonly status: "not available yet"; readonly reason: string }
  | { readonly status: "measured"; readonly sample: number; readonly rows: readonly TokenValidationRow[] };

export interface TokenValidationRow {
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

type Modules = [StoreModule, TokenStoreModule, ValidatorModule, CredentialsModule];

async function load(root: string): Promise<Modules | string> {
  const wanted: [string, string][] = [
    ["src/store/database.ts", "openStore"],
    ["src/store/oauth-tokens.ts", "OAuthTokenStore"],
    ["src/oauth/access-tokens.ts", "AccessTokenValidator"],
    ["src/oauth/credentials.ts", "hashCredential"],
  ];
  const modules: Record<string, unknown>[] = [];
  for (const [path, name] of wanted) {
    try {
      const m = (await import(join(root, path))) as Record<string, unknown>;
      if (typeof m[name] !== "function") return `${path} has no ${name} export`;
      modules.push(m);
    } catch (err) {
      return `${path} cannot be loaded: ${(err as Error).message.split("\n")[0]}`;
    }
  }
  return modules as unknown as Modules;
}

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

function fill(mods: Modules, dataDir: string, stored: number, sample: readonly string[]): number {
  const [{ openStore }, { OAuthTokenStore }, , { hashCredential }] = mods;
  const store = openStore(dataDir);
  try {
    const tokens = new OAuthTokenStore(store.db);
    const now = Date.now();
    const started = performance.now();
    const hashes = [...sample.map(hashCredential), ...randomKeys(stored - sample.length)].sort();
    store.db.run("PRAGMA cache_size = -262144");
    store.db.transaction(() => {
      for (let i = 0; i < hashes.length; i++) {
        const grantId = `grant_${String(Math.floor(i / 1000)).padStart(7, "0")}`;
        if (i % 1000 === 0) {
          tokens.insertGrant({ grantId, clientId: "bench-client", subject: "bench-user", claims: "{}", resource: RESOURCE, operationId: OPERATION_ID, scope: "mcp", createdAt: now, expiresAt: now + LIFETIME_MS });
        }
        tokens.insertToken(hashes[i]!, "access", grantId, now, now + LIFETIME_MS);
      }
    })();
    return (performance.now() - started) / 1_000;
  } finally {
    store.close();
  }
}

async function measureSize(mods: Modules, stored: number): Promise<TokenValidationRow> {
  const [{ openStore }, { OAuthTokenStore }, { AccessTokenValidator }, { mintCredential }] = mods;
  const dataDir = mkdtempSync(join(tmpdir(), "mcpgw-bench-tokens-"));
  try {
    const sample = Array.from({ length: Math.min(SAMPLE, stored) }, () => mintCredential("at"));
    const fillSeconds = fill(mods, dataDir, stored, sample);
    // Validation runs on a fresh connection, with the store's own settings and page cache, as the gateway's.
    const store = openStore(dataDir);
    const tokens = new OAuthTokenStore(store.db);
    const miss: number[] = [];
    const hit: number[] = [];
    try {
      for (let r = 0; r < REPEATS; r++) {
        const validator = new AccessTokenValidator(tokens, Date.now);
        const timeAll = () => {
          const t0 = performance.now();
          for (const token of sample) validator.validate(token, RESOURCE, OPERATION_ID);
          return ((performance.now() - t0) * 1_000) / sample.length;
        };
        miss.push(timeAll());
        hit.push(timeAll());
      }
    } finally {
      store.close();
    }
    return { storedTokens: stored, fillSeconds, storeMiB: dirMiB(dataDir), cacheMissUs: median(miss), cacheHitUs: median(hit) };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function measureTokenValidation(root: string, sizes: readonly number[], say: (line: string) => void): Promise<TokenValidationResult> {
  const mods = await load(root);
  if (typeof mods === "string") return { status: "not available yet", reason: mods };
  const rows: TokenValidationRow[] = [];
  try {
    for (const stored of sizes) {
      const row = await measureSize(mods, stored);
      say(`token validation, ${stored} stored: miss ${row.cacheMissUs.toFixed(2)} µs, hit ${row.cacheHitUs.toFixed(2)} µs (filled in ${row.fillSeconds.toFixed(1)} s)`);
      rows.push(row);
    }
  } catch (err) {
    return { status: "not available yet", reason: `the token store API differs from what this hook expects: ${(err as Error).message.split("\n")[0]}` };
  }
  return { status: "measured", sample: SAMPLE, rows };
}

export function tokenValidationMarkdown(result: TokenValidationResult): string {
  if (result.status === "not available yet") return `Not available yet: ${result.reason}.\n`;
  return [
    `In process, ${result.sample} distinct sampled tokens, median of ${REPEATS} repeats. A miss reads SQLite (WAL, one primary-key lookup joined to the grant); a hit is served by the validator's LRU.`,
    "",
    table(
      ["stored tokens", "fill s", "store MiB", "µs/validate (cache miss)", "µs/validate (cache hit)"],
      result.rows.map((r) => [r.storedTokens.toLocaleString("en-US"), r.fillSeconds.toFixed(1), r.storeMiB.toFixed(0), r.cacheMissUs.toFixed(2), r.cacheHitUs.toFixed(2)]),
    ),
    "",
  ].join("\n");
}
