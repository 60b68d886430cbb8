import type { Database, Statement } from "bun:sqlite";
import type { LoginStateRepository, LoginStateRow } from "../repositories.ts";
import { whenIdle, type TransactionGate } from "./gate.ts";

export class SqliteLoginStateRepository implements LoginStateRepository {
  private readonly insertStmt: Statement;
  private readonly takeStmt: Statement<LoginStateRow & { live: number }, [number, string]>;
  private readonly sweepStmt: Statement;

  constructor(
    db: Database,
    private readonly gate?: TransactionGate,
  ) {
    this.insertStmt = db.prepare(
      "INSERT INTO oauth_login_states (state_hash, request_id, nonce_hash, browser_hash, redirect_uri, pkce, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    // One statement: a state is taken once even by two callbacks racing (the second finds no row). An
    // expired row goes too, and reads as unknown.
    this.takeStmt = db.prepare(
      `DELETE FROM oauth_login_states WHERE state_hash = ?2
       RETURNING state_hash AS stateHash, request_id AS requestId, nonce_hash AS nonceHash, browser_hash AS browserHash,
         redirect_uri AS redirectUri, pkce, created_at AS createdAt, expires_at AS expiresAt, expires_at > ?1 AS live`,
    );
    this.sweepStmt = db.prepare("DELETE FROM oauth_login_states WHERE expires_at <= ?");
  }

  async insert(r: LoginStateRow): Promise<void> {
    await whenIdle(this.gate);
    this.insertStmt.run(r.stateHash, r.requestId, r.nonceHash, r.browserHash, r.redirectUri, r.pkce, r.createdAt, r.expiresAt);
  }

  async take(stateHash: string, now: number): Promise<LoginStateRow | undefined> {
    await whenIdle(this.gate);
    const row = this.takeStmt.get(now, stateHash);
    if (!row || !row.live) return undefined;
    const { live: _live, ...state } = row;
    return state;
  }

  async sweep(now: number): Promise<number> {
    await whenIdle(this.gate);
    return this.sweepStmt.run(now).changes;
  }
}
