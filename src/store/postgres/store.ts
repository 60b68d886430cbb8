import type { SQL } from "bun";
import type { Repositories, Revocation, Store, StoreHealth } from "../repositories.ts";
import { PostgresClientRepository } from "./clients.ts";
import { PostgresFlowRepository } from "./flows.ts";
import { postgresHealth, writeFailure, type WriteFailure } from "./health.ts";
import { PostgresLoginStateRepository } from "./login-states.ts";
import { PostgresRateCounterRepository } from "./rate-counters.ts";
import { PostgresUsedAssertionRepository } from "./used-assertions.ts";
import { PostgresMetaRepository } from "./meta.ts";
import { PG_MIGRATIONS } from "./migrations.ts";
import { parseRevocation, REVOCATION_CHANNEL } from "./revocations.ts";
import { PostgresSessionRepository } from "./sessions.ts";
import { PostgresTokenRepository } from "./tokens.ts";
import { PostgresUpstreamRepository, type Exclusive } from "./upstream.ts";

/** The first key of mcpgw's two-key advisory locks ("mcpg"): apart from the migration lock's one-key space. */
const LOCK_CLASS = 0x6d637067;

/** The repositories over one handle: the pool, or a transaction's reserved connection. New table groups add a line. */
function repositories(sql: SQL, exclusive: Exclusive): Repositories {
  return {
    clients: new PostgresClientRepository(sql),
    flows: new PostgresFlowRepository(sql),
    sessions: new PostgresSessionRepository(sql),
    tokens: new PostgresTokenRepository(sql),
    upstream: new PostgresUpstreamRepository(sql, exclusive),
    meta: new PostgresMetaRepository(sql),
    logins: new PostgresLoginStateRepository(sql),
    rateCounters: new PostgresRateCounterRepository(sql),
    usedAssertions: new PostgresUsedAssertionRepository(sql),
  };
}

/**
 * The shared store of a fleet: a pool of connections to one PostgreSQL database (Bun's built-in client).
 * Statements outside a transaction take any free connection; transaction() reserves one for BEGIN …
 * COMMIT, so the callback's statements, and only those, are in it. Many gateway processes use the same
 * database at once: the replay guards are conditional UPDATEs (tokens.ts), not process-local locks.
 */
export class PostgresStore implements Store {
  readonly clients;
  readonly flows;
  readonly sessions;
  readonly tokens;
  readonly upstream;
  readonly meta;
  readonly logins;
  readonly rateCounters;
  readonly usedAssertions;
  readonly shared = true;
  /** A small pool of its own for fleet-wide locks, opened on first use (exclusive()). */
  private lockPool: SQL | undefined;
  /** The last transaction that failed for a reason readiness reports; cleared by the next commit. */
  private writeFailure: WriteFailure | undefined;

  constructor(
    /** The pool, for the store's own tests and tools; nothing outside src/store/ uses it. */
    readonly sql: SQL,
    readonly location: string,
    readonly schemaVersion: number,
    /** Opens the lock pool: the same server and options as `sql`, fewer connections. */
    private readonly openLockPool: () => SQL,
  ) {
    ({ clients: this.clients, flows: this.flows, sessions: this.sessions, tokens: this.tokens, upstream: this.upstream, meta: this.meta, logins: this.logins, rateCounters: this.rateCounters, usedAssertions: this.usedAssertions } =
      repositories(sql, this.exclusive));
  }

  /**
   * exclusive(): runs `fn` holding a transaction-scoped advisory lock named `key`: every gateway on this database
   * waits on the same lock, and the server drops it when the holder commits or its connection dies (a
   * killed instance never leaves it held). The lock lives on a pool of its own because `fn` uses the main
   * pool: waiters holding main connections could otherwise starve the work they wait for.
   */
  private readonly exclusive: Exclusive = (key, fn) => this.withLock(key, fn);

  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const locks = (this.lockPool ??= this.openLockPool());
    return (await locks.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${LOCK_CLASS}::int, hashtext(${key}::text))`;
      return fn();
    })) as T;
  }

  async transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    // sql.begin reserves a connection, sends BEGIN, and ROLLBACK when fn throws (the error is rethrown).
    try {
      const result = (await this.sql.begin((tx) => fn(repositories(tx, this.exclusive)))) as T;
      this.writeFailure = undefined;
      return result;
    } catch (err) {
      this.writeFailure = writeFailure(err, performance.now()) ?? this.writeFailure;
      throw err;
    }
  }

  async checkIntegrity(): Promise<string[]> {
    // PostgreSQL checks its own pages (and enforces the foreign keys); what can still go wrong is a
    // restore that skipped tables, or loaded rows with triggers disabled (pg_restore --disable-triggers).
    const expected = PG_MIGRATIONS.flatMap((m) => [...m.sql.matchAll(/CREATE TABLE (\w+)/g)].map((match) => match[1]!));
    const present = new Set((await this.sql<{ name: string }[]>`SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()`).map((r) => r.name));
    const problems = expected.filter((table) => !present.has(table)).map((table) => `table ${table} is missing`);
    if (present.has("oauth_tokens") && present.has("oauth_grants")) {
      const [row] = await this.sql<{ n: string }[]>`SELECT count(*) AS n FROM oauth_tokens t WHERE NOT EXISTS (SELECT 1 FROM oauth_grants g WHERE g.grant_id = t.grant_id)`;
      if (Number(row!.n) > 0) problems.push(`${row!.n} oauth_tokens row(s) refer to a missing oauth_grants row`);
    }
    return problems;
  }

  async health(): Promise<StoreHealth> {
    return postgresHealth(this.sql, this.location, this.writeFailure, performance.now());
  }

  async watchRevocations(listener: (revocation: Revocation) => void): Promise<() => Promise<void>> {
    let listening = false;
    const subscription = await this.sql.listen(
      REVOCATION_CHANNEL,
      (payload) => listener(parseRevocation(payload)),
      () => {
        // Runs again after Bun re-established a dropped listening connection: notices sent meanwhile are
        // lost, so whatever was cached before may be stale.
        if (listening) listener({ kind: "unknown" });
        listening = true;
      },
    );
    return () => subscription.unlisten();
  }

  async close(): Promise<void> {
    await Promise.all([this.sql.close({ timeout: 5 }), this.lockPool?.close({ timeout: 5 })]);
  }
}
