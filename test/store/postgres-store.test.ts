import { beforeAll, expect, it } from "bun:test";
import { SQL } from "bun";
import { postgresHealth, writeFailure } from "../../src/store/postgres/health.ts";
import { openPostgresStore } from "../../src/store/postgres/open.ts";
import type { PostgresStore } from "../../src/store/postgres/store.ts";
import { CLUSTER_START_TIMEOUT_MS, describeWithPostgres, freshSchema, sharedPostgres } from "../helpers/postgres.ts";

// What only a shared store has to do: one upstream refresh at a time per connection across instances
// (two stores on one schema stand for two gateway processes), readiness from the server's answers, and
// an integrity check that finds what a careless restore leaves behind.

const T0 = 1_700_000_000_000;

/** Resolves once `n` advisory-lock requests wait ungranted in the database: proof a caller is blocked. */
async function waitersOnAdvisoryLocks(store: PostgresStore, n: number): Promise<void> {
  for (;;) {
    const [row] = await store.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`;
    if (row!.n >= n) return;
    await Bun.sleep(10);
  }
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describeWithPostgres("the PostgreSQL store in a fleet", () => {
  let url: string;
  beforeAll(async () => {
    url = (await sharedPostgres()).url;
  }, CLUSTER_START_TIMEOUT_MS);

  it("lets one instance at a time refresh a connection; another connection does not wait", async () => {
    const schema = freshSchema();
    const [a, b] = await Promise.all([openPostgresStore(url, { schema }), openPostgresStore(url, { schema })]);
    try {
      const order: string[] = [];
      const held = gate();
      const entered = gate();
      const first = a.upstream.exclusively("alice", "gh", async () => {
        order.push("a in");
        entered.open();
        await held.promise;
        order.push("a out");
      });
      await entered.promise;
      const second = b.upstream.exclusively("alice", "gh", async () => void order.push("b in"));
      await waitersOnAdvisoryLocks(a, 1);
      // A different connection (and a different person's) goes through while alice/gh is held.
      expect(await b.upstream.exclusively("bob", "gh", async () => "bob refreshed")).toBe("bob refreshed");
      expect(await b.upstream.exclusively("alice", "jira", async () => "jira refreshed")).toBe("jira refreshed");
      expect(order).toEqual(["a in"]);
      held.open();
      await Promise.all([first, second]);
      expect(order).toEqual(["a in", "a out", "b in"]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("frees the lock when its holder's connection dies (a killed instance)", async () => {
    const schema = freshSchema();
    const [a, b] = await Promise.all([openPostgresStore(url, { schema }), openPostgresStore(url, { schema })]);
    try {
      const entered = gate();
      const never = new Promise<void>(() => {});
      const doomed = a.upstream.exclusively("alice", "gh", async () => {
        entered.open();
        await never;
      });
      doomed.catch(() => {});
      await entered.promise;
      const waiting = b.upstream.exclusively("alice", "gh", async () => "b refreshed");
      await waitersOnAdvisoryLocks(b, 1);
      // mcpgw's two-key advisory locks have classid "mcpg" (0x6d637067).
      await b.sql`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid::bigint = ${0x6d637067} AND objsubid = 2`;
      expect(await waiting).toBe("b refreshed");
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("reports itself healthy on a primary, read-only on a read-only session, unreachable when nothing answers", async () => {
    const store = await openPostgresStore(url, { schema: freshSchema() });
    try {
      expect(await store.health()).toEqual({ ok: true });
    } finally {
      await store.close();
    }
    const readOnly = new SQL(url, { max: 1, connection: { default_transaction_read_only: "on" } });
    try {
      expect(await postgresHealth(readOnly, "the test db", undefined, 0)).toMatchObject({ ok: false, code: "MCPGW_STORE_READ_ONLY" });
    } finally {
      await readOnly.close();
    }
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const closedPort = listener.port;
    listener.stop(true);
    const nowhere = new SQL(`postgres://postgres@127.0.0.1:${closedPort}/x`, { max: 1, connectionTimeout: 1 });
    try {
      expect(await postgresHealth(nowhere, "nowhere", undefined, 0)).toMatchObject({ ok: false, code: "MCPGW_STORE_UNREACHABLE" });
    } finally {
      await nowhere.close();
    }
  });

  it("keeps readiness down for a while after the server ran out of disk", async () => {
    // SQLSTATE 53100 (disk_full) cannot be provoked on a shared test server: the error object stands in.
    const diskFull = Object.assign(new Error("could not extend file: No space left on device"), { errno: "53100" });
    const failure = writeFailure(diskFull, 1_000)!;
    expect(writeFailure(Object.assign(new Error("duplicate key"), { errno: "23505" }), 1_000)).toBeUndefined();
    const store = await openPostgresStore(url, { schema: freshSchema() });
    try {
      expect(await postgresHealth(store.sql, store.location, failure, 2_000)).toMatchObject({ ok: false, code: "MCPGW_STORE_DISK_FULL" });
      expect(await postgresHealth(store.sql, store.location, failure, 1_000 + 30_000)).toEqual({ ok: true });
    } finally {
      await store.close();
    }
  });

  it("finds a missing table and tokens whose grant is gone (a restore with triggers disabled)", async () => {
    const store = await openPostgresStore(url, { schema: freshSchema() });
    try {
      await store.transaction(async (tx) => {
        await tx.tokens.insertGrant({ grantId: "g1", clientId: "c", subject: "s", claims: "{}", resource: "r", operationId: "o", scope: "mcp:tools", createdAt: T0, expiresAt: T0 + 1 });
      });
      await store.sql.begin(async (tx) => {
        await tx`SET LOCAL session_replication_role = replica`;
        await tx`INSERT INTO oauth_tokens (token_hash, kind, grant_id, created_at, expires_at) VALUES ('at_x', 'access', 'no_such_grant', ${T0}, ${T0 + 1})`;
      });
      await store.sql`DROP TABLE oauth_login_states`;
      expect(await store.checkIntegrity()).toEqual(["table oauth_login_states is missing", "1 oauth_tokens row(s) refer to a missing oauth_grants row"]);
    } finally {
      await store.close();
    }
  });
});
