import type { Database } from "bun:sqlite";
import type { Repositories, Store } from "../repositories.ts";
import { SqliteClientRepository } from "./clients.ts";
import { SqliteFlowRepository } from "./flows.ts";
import { TransactionGate } from "./gate.ts";
import { SqliteMetaRepository } from "./meta.ts";
import { SqliteSessionRepository } from "./sessions.ts";
import { SqliteTokenRepository } from "./tokens.ts";

function repositories(db: Database, gate: TransactionGate | undefined): Repositories {
  return {
    clients: new SqliteClientRepository(db, gate),
    flows: new SqliteFlowRepository(db, gate),
    sessions: new SqliteSessionRepository(db, gate),
    tokens: new SqliteTokenRepository(db, gate),
    meta: new SqliteMetaRepository(db, gate),
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
  readonly meta;
  private readonly gate = new TransactionGate();
  private readonly inTransaction: Repositories;

  constructor(
    /** The connection, for the store's own tests and tools; nothing outside src/store/ uses it. */
    readonly db: Database,
    readonly location: string,
    readonly schemaVersion: number,
  ) {
    ({ clients: this.clients, flows: this.flows, sessions: this.sessions, tokens: this.tokens, meta: this.meta } = repositories(db, this.gate));
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
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.run("ROLLBACK");
        throw err;
      }
    } finally {
      this.gate.held = undefined;
      release();
    }
  }

  async close(): Promise<void> {
    await this.gate.held;
    this.db.close();
  }
}
