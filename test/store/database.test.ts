import { describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StoreError } from "../../src/store/errors.ts";
import { MIGRATIONS } from "../../src/store/sqlite/migrations.ts";
import { openSqliteStore as openStore, STORE_FILE } from "../../src/store/sqlite/open.ts";
import { loadOrCreateSecretKey } from "../../src/store/secret-key.ts";

const tempDir = () => mkdtempSync(join(tmpdir(), "mcpgw-store-"));

function expectStoreError(fn: () => unknown, code: string): StoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe(code);
    expect((err as StoreError).hint.length).toBeGreaterThan(10);
    return err as StoreError;
  }
  throw new Error(`expected ${code}`);
}

describe("store", () => {
  it("creates the file in WAL mode with foreign keys and every migration recorded", () => {
    const dir = tempDir();
    const store = openStore(dir);
    expect(store.db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    expect(store.db.query<{ foreign_keys: number }, []>("PRAGMA foreign_keys").get()?.foreign_keys).toBe(1);
    expect(store.db.query<{ timeout: number }, []>("PRAGMA busy_timeout").get()?.timeout).toBe(5000);
    const versions = store.db.query<{ version: number }, []>("SELECT version FROM schema_migrations ORDER BY version").all().map((r) => r.version);
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    expect(store.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
    store.close();
  });

  it("reopens an existing store without re-running migrations and keeps its data", () => {
    const dir = tempDir();
    const first = openStore(dir);
    first.db.run("INSERT INTO gateway_meta (key, value) VALUES ('k', 'v')");
    first.close();
    const second = openStore(dir);
    expect(second.db.query<{ value: string }, []>("SELECT value FROM gateway_meta WHERE key = 'k'").get()?.value).toBe("v");
    expect(second.db.query<{ n: number }, []>("SELECT count(*) AS n FROM schema_migrations").get()?.n).toBe(MIGRATIONS.length);
    second.close();
  });

  it("refuses a store written by a newer mcpgw and leaves the file untouched", () => {
    const dir = tempDir();
    openStore(dir).close();
    const db = new Database(join(dir, STORE_FILE));
    db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')");
    db.close();
    const before = readFileSync(join(dir, STORE_FILE));
    const err = expectStoreError(() => openStore(dir), "MCPGW_STORE_SCHEMA_TOO_NEW");
    expect(err.message).toContain("999");
    expect(readFileSync(join(dir, STORE_FILE)).equals(before)).toBe(true);
  });

  it("refuses a file that is not SQLite instead of resetting it", () => {
    const dir = tempDir();
    writeFileSync(join(dir, STORE_FILE), "this is not a database, it is a text file that someone put here".repeat(20));
    const before = readFileSync(join(dir, STORE_FILE));
    expectStoreError(() => openStore(dir), "MCPGW_STORE_UNREADABLE");
    expect(readFileSync(join(dir, STORE_FILE)).equals(before)).toBe(true);
  });

  it("reports a store locked by another writer past the busy timeout", () => {
    const dir = tempDir();
    // Another process-like writer creates the file and holds a write transaction open.
    const other = new Database(join(dir, STORE_FILE), { create: true });
    other.run("PRAGMA journal_mode = WAL");
    other.run("CREATE TABLE hold (x INTEGER)");
    other.run("BEGIN IMMEDIATE");
    other.run("INSERT INTO hold VALUES (1)");
    expectStoreError(() => openStore(dir, { busyTimeoutMs: 200 }), "MCPGW_STORE_LOCKED");
    other.run("ROLLBACK");
    other.close();
    openStore(dir).close();
  });

  it("survives a writer killed mid-write: the store reopens with integrity intact", async () => {
    const dir = tempDir();
    openStore(dir).close();
    const script = join(dir, "writer.ts");
    writeFileSync(
      script,
      `import { openSqliteStore as openStore } from ${JSON.stringify(join(import.meta.dir, "../../src/store/sqlite/open.ts"))};
       const s = openStore(${JSON.stringify(dir)});
       const put = s.db.prepare("INSERT OR REPLACE INTO gateway_meta (key, value) VALUES (?, ?)");
       let i = 0; console.log("ready");
       for (;;) { s.db.transaction(() => { for (let j = 0; j < 50; j++) put.run("k" + (i++ % 1000), "x".repeat(500)); })(); }`,
    );
    const child = Bun.spawn([process.execPath, script], { stdout: "pipe" });
    const reader = child.stdout.getReader();
    await reader.read();
    await Bun.sleep(300);
    child.kill("SIGKILL");
    await child.exited;
    const store = openStore(dir);
    expect(store.db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()?.integrity_check).toBe("ok");
    expect(store.db.query<{ n: number }, []>("SELECT count(*) AS n FROM gateway_meta").get()!.n).toBeGreaterThan(0);
    store.close();
  });
});

describe("secret key", () => {
  it("is generated once with mode 0600 and read back unchanged", () => {
    const dir = tempDir();
    const first = loadOrCreateSecretKey(dir);
    expect(first.byteLength).toBe(32);
    expect(statSync(join(dir, "secret.key")).mode & 0o777).toBe(0o600);
    expect(Buffer.from(loadOrCreateSecretKey(dir)).equals(Buffer.from(first))).toBe(true);
  });

  it("refuses a damaged key file instead of replacing it", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "secret.key"), "short\n");
    expectStoreError(() => loadOrCreateSecretKey(dir), "MCPGW_STORE_SECRET_KEY_INVALID");
  });

  it("reports a token whose grant is gone as an integrity problem", async () => {
    const store = openStore(tempDir());
    // Written the way an old or hand-edited file could hold it: foreign keys off for this one insert.
    store.db.run("PRAGMA foreign_keys = OFF");
    store.db.run("INSERT INTO oauth_tokens (token_hash, kind, grant_id, created_at, expires_at) VALUES ('h', 'access', 'gone', 0, 1)");
    store.db.run("PRAGMA foreign_keys = ON");
    expect(await store.checkIntegrity()).toEqual(["oauth_tokens row ? refers to a missing oauth_grants row"]);
    await store.close();
  });
});
