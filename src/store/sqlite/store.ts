import type { Database } from "bun:sqlite";
import type { Repositories, Store, StoreHealth } from "../repositories.ts";
import { SqliteClientRepository } from "./clients.ts";
import { SqliteFlowRepository } from "./flows.ts";
import { SqliteLoginStateRepository } from "./login-states.ts";
import { SqliteRateCounterRepository } from "./rate-counters.ts";
import { SqliteUsedAssertionRepository } from "./used-assertions.ts";
import { TransactionGate } from "./gate.ts";
import { SqliteMetaRepository } from "./meta.ts";
import { sqliteHealth, writeFailure, type WriteFailure } from "./health.ts";
import { SqliteSessionRepository } from "./sessions.ts";
import { SqliteTokenRepository } from "./tokens.ts";
import { SqliteUpstreamRepository } from "./upstream.ts";

function repositories(db: Database, gate: TransactionGate | undefined): Repositories {
  return {
    clients: new SqliteClientRepository(db, gate),
    flows: new SqliteFlowRepository(db, gate),
    sessions: new SqliteSessionRepository(db, gate),
    tokens: new SqliteTokenRepository(db, gate),
    upstream: new SqliteUpstreamRepository(db, gate),
    meta: new SqliteMetaRepository(db, gate),
    logins: new SqliteLoginStateRepository(db, gate),
    rateCounters: new SqliteRateCounterRepository(db, gate),
    usedAssertions: new SqliteUsedAssertionRepository(db, gate),
  };
}

/**
 * The embedded store: one bun:sqlite connection (WAL) in the data dir. Transactions are BEGIN IMMEDIATE,
 * so a second process on the same file waits for the write lock (busy_timeout) rather than failing
 * half-way; within this process they queue behind each other and everything else queues behind them
 * (gate.ts).
 */
export class SqliteStore implements Store {
  readonly clients;
  readonly flows;
  readonly sessions;
  readonly tokens;
  readonly upstream;
  readonly meta;
  readonly logins;
  readonly rateCounters;
  readonly usedAssertions;
  private readonly gate = new TransactionGate();
  private readonly inTransaction: Repositories;
  /** The last transaction that failed for a reason readiness reports; cleared by the next commit. */
  private writeFailure: WriteFailure | undefined;

  constructor(
    /** The connection, for the store's own tests and tools; nothing outside src/store/ uses it. */
    readonly db: Database,
    readonly location: string,
    readonly schemaVersion: number,
  ) {
    ({ clients: this.clients, flows: this.flows, sessions: this.sessions, tokens: this.tokens, upstream: this.upstream, meta: this.meta, logins: this.logins, rateCounters: this.rateCounters, usedAssertions: this.usedAssertions } = repositories(db, this.gate));
    this.inTransaction = repositories(db, undefined);
  }

  async transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    while (this.gate.held) await this.gate.held;
    let release!: () => void;
    this.gate.held = new Promise((resolve) => (release = resolve));
    try {
      this.db.run("BEGIN IMMEDIATE");
      try {
        const result = await fn(this.inTransaction);
        this.db.run("COMMIT");
        this.writeFailure = undefined;
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.run("ROLLBACK");
        throw err;
      }
    } catch (err) {
      this.writeFailure = writeFailure(err, this.location, performance.now()) ?? this.writeFailure;
      throw err;
    } finally {
      this.gate.held = undefined;
      release();
    }
  }

  async checkIntegrity(): Promise<string[]> {
    while (this.gate.held) await this.gate.held;
    // integrity_check reports page-level damage ("ok" when there is none); foreign_key_check finds rows
    // whose parent is gone (a token without its grant), which foreign_keys = ON prevents from now on only.
    const integrity = this.db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all().map((r) => r.integrity_check);
    const problems = integrity.length === 1 && integrity[0] === "ok" ? [] : integrity;
    for (const row of this.db.query<{ table: string; rowid: number | null; parent: string }, []>("PRAGMA foreign_key_check").all()) {
      problems.push(`${row.table} row ${row.rowid ?? "?"} refers to a missing ${row.parent} row`);
    }
    return problems;
  }

  async health(): Promise<StoreHealth> {
    return sqliteHealth(this.location, this.writeFailure, performance.now());
  }

  async close(): Promise<void> {
    await this.gate.held;
    this.db.close();
  }
}
