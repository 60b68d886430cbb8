import type { SQL } from "bun";
import type { Repositories, Revocation, Store } from "../repositories.ts";
import { PostgresClientRepository } from "./clients.ts";
import { PostgresFlowRepository } from "./flows.ts";
import { PostgresMetaRepository } from "./meta.ts";
import { parseRevocation, REVOCATION_CHANNEL } from "./revocations.ts";
import { PostgresSessionRepository } from "./sessions.ts";
import { PostgresTokenRepository } from "./tokens.ts";

/** The repositories over one handle: the pool, or a transaction's reserved connection. New table groups add a line. */
function repositories(sql: SQL): Repositories {
  return {
    clients: new PostgresClientRepository(sql),
    flows: new PostgresFlowRepository(sql),
    sessions: new PostgresSessionRepository(sql),
    tokens: new PostgresTokenRepository(sql),
    meta: new PostgresMetaRepository(sql),
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
  readonly meta;
  readonly shared = true;

  constructor(
    /** The pool, for the store's own tests and tools; nothing outside src/store/ uses it. */
    readonly sql: SQL,
    readonly location: string,
    readonly schemaVersion: number,
  ) {
    ({ clients: this.clients, flows: this.flows, sessions: this.sessions, tokens: this.tokens, meta: this.meta } = repositories(sql));
  }

  async transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    // sql.begin reserves a connection, sends BEGIN, and ROLLBACK when fn throws (the error is rethrown).
    return (await this.sql.begin((tx) => fn(repositories(tx)))) as T;
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
    await this.sql.close({ timeout: 5 });
  }
}
