import { beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/store/open.ts";
import { PG_MIGRATIONS } from "../../src/store/postgres/migrations.ts";
import { MIGRATIONS } from "../../src/store/sqlite/migrations.ts";
import { openPostgresStore, redactedUrl } from "../../src/store/postgres/open.ts";
import type { Revocation } from "../../src/store/repositories.ts";
import { CLUSTER_START_TIMEOUT_MS, describeWithPostgres, freshSchema, sharedPostgres } from "../helpers/postgres.ts";

// Opening the shared store: migrations under an advisory lock (instances starting together), refusal of
// a schema from a newer mcpgw, errors that say what to do, and revocation notices between instances.

const T0 = 1_700_000_000_000;
const grant = (grantId: string) => ({ grantId, clientId: "dcr_a", subject: "alice", claims: "{}", resource: "r", operationId: "a", scope: "mcp:tools", createdAt: T0, expiresAt: T0 + 3_600_000 });

async function errorOf(p: Promise<unknown>): Promise<{ code?: string; message?: string; hint?: string }> {
  return p.then(
    () => ({}),
    (err: unknown) => err as { code?: string },
  );
}

describeWithPostgres("opening the PostgreSQL store", () => {
  let url: string;
  beforeAll(async () => {
    url = (await sharedPostgres()).url;
  }, CLUSTER_START_TIMEOUT_MS);

  it("applies each migration once when four instances start at the same moment", async () => {
    const schema = freshSchema();
    // A slow last migration holds the window open: without the lock, the others would apply it too and fail.
    const next = PG_MIGRATIONS.length + 1;
    const migrations = [...PG_MIGRATIONS, { version: next, name: "slow", sql: "SELECT pg_sleep(0.3); CREATE TABLE slow_marker (x INTEGER);" }];
    const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStore(url, { schema, migrations })));
    expect(stores.map((s) => s.schemaVersion)).toEqual([next, next, next, next]);
    const applied = await stores[0]!.sql<{ version: number }[]>`SELECT version FROM schema_migrations ORDER BY version`;
    expect(applied.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    await Promise.all(stores.map((s) => s.close()));
  });

  it("refuses a schema written by a newer mcpgw, and changes nothing", async () => {
    const schema = freshSchema();
    const first = await openPostgresStore(url, { schema });
    await first.sql`INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')`;
    const err = await errorOf(openPostgresStore(url, { schema }));
    expect(err.code).toBe("MCPGW_STORE_SCHEMA_TOO_NEW");
    expect(err.hint).toContain("every instance");
    expect((await first.sql`SELECT count(*)::int AS n FROM schema_migrations`)[0].n).toBe(PG_MIGRATIONS.length + 1);
    await first.close();
  });

  it("names an unreachable server and a missing database, with the password never in the message", async () => {
    const port = (await sharedPostgres()).port;
    const missing = await errorOf(openPostgresStore(`postgres://postgres:hunter2@127.0.0.1:${port}/no_such_db`));
    expect(missing.code).toBe("MCPGW_STORE_DATABASE_MISSING");
    expect(missing.message).not.toContain("hunter2");
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const closedPort = listener.port;
    listener.stop(true);
    const unreachable = await errorOf(openPostgresStore(`postgres://postgres:hunter2@127.0.0.1:${closedPort}/x`));
    expect(unreachable.code).toBe("MCPGW_STORE_UNREACHABLE");
    expect(unreachable.message).not.toContain("hunter2");
  });

  it("tells every instance about each committed revocation, and nothing about one rolled back", async () => {
    const schema = freshSchema();
    const [here, there] = await Promise.all([openPostgresStore(url, { schema }), openPostgresStore(url, { schema })]);
    const seen: Revocation[] = [];
    const stop = await there.watchRevocations((r) => seen.push(r));
    await here.tokens.insertGrant(grant("g1"));
    await here.tokens.insertToken("at_hash_1", "access", "g1", T0, T0 + 1000);
    await here.transaction(async (tx) => {
      await tx.tokens.revokeGrant("g1", T0);
      throw new Error("changed my mind");
    }).catch(() => {});
    await here.tokens.revokeToken("at_hash_1", T0);
    await here.tokens.revokeGrant("g1", T0);
    // A repeated revocation changes nothing and sends nothing.
    await here.tokens.revokeGrant("g1", T0);
    for (let i = 0; i < 100 && seen.length < 2; i++) await Bun.sleep(20);
    await Bun.sleep(50);
    expect(seen).toEqual([
      { kind: "token", tokenHash: "at_hash_1" },
      { kind: "grant", grantId: "g1" },
    ]);
    await stop();
    await Promise.all([here.close(), there.close()]);
  });
});

describe("the PostgreSQL schema history", () => {
  it("is SQLite's, version for version: schemaVersion means the same feature on both backends", () => {
    expect(PG_MIGRATIONS.map((m) => `${m.version} ${m.name}`)).toEqual(MIGRATIONS.map((m) => `${m.version} ${m.name}`));
  });

  it("creates the tables SQLite's creates", () => {
    const tables = (ms: readonly { sql: string }[]) => ms.flatMap((m) => [...m.sql.matchAll(/CREATE TABLE (\w+)/g)].map((t) => t[1])).sort();
    expect(tables(PG_MIGRATIONS)).toEqual(tables(MIGRATIONS));
  });
});

describe("choosing the backend", () => {
  it("refuses a store URL that is neither sqlite nor postgres://", async () => {
    const err = await errorOf(openStore(mkdtempSync(join(tmpdir(), "mcpgw-open-")), { url: "mysql://u:p@db/x" }));
    expect(err.code).toBe("MCPGW_STORE_URL_INVALID");
    expect(err.message).not.toContain("u:p");
  });

  it("shows a store URL in logs without its password", () => {
    expect(redactedUrl("postgres://mcpgw:s3cret@db.internal:5432/mcpgw")).toBe("postgres://mcpgw:***@db.internal:5432/mcpgw");
  });
});
