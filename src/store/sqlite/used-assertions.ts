import type { Database, Statement } from "bun:sqlite";
import type { UsedAssertionRepository } from "../repositories.ts";
import { whenIdle, type TransactionGate } from "./gate.ts";

// Used client-assertion ids, as PostgreSQL keeps them (../postgres/used-assertions.ts). A single gateway
// process keeps them in memory instead (src/oauth/runtime.ts).

export class SqliteUsedAssertionRepository implements UsedAssertionRepository {
  private readonly claimStmt: Statement<{ expiresAt: number }, [string, number, number]>;
  private readonly sweepStmt: Statement;

  constructor(
    db: Database,
    private readonly gate?: TransactionGate,
  ) {
    // An expired row that the sweeper has not removed yet is taken over, as if it were gone.
    this.claimStmt = db.prepare(
      `INSERT INTO oauth_used_assertions AS u (key_hash, expires_at) VALUES (?1, ?2)
       ON CONFLICT (key_hash) DO UPDATE SET expires_at = excluded.expires_at WHERE u.expires_at <= ?3
       RETURNING expires_at AS expiresAt`,
    );
    this.sweepStmt = db.prepare("DELETE FROM oauth_used_assertions WHERE expires_at <= ?");
  }

  async claim(keyHash: string, expiresAt: number, now: number): Promise<boolean> {
    await whenIdle(this.gate);
    return this.claimStmt.get(keyHash, expiresAt, now) !== null;
  }

  async sweep(now: number): Promise<number> {
    await whenIdle(this.gate);
    return this.sweepStmt.run(now).changes;
  }
}
