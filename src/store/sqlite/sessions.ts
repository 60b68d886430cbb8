import type { Database, Statement } from "bun:sqlite";
import type { BrowserSessionRow, SessionRepository } from "../repositories.ts";
import { whenIdle, type TransactionGate } from "./gate.ts";

export class SqliteSessionRepository implements SessionRepository {
  private readonly insertStmt: Statement;
  private readonly findStmt: Statement<BrowserSessionRow, [string, number]>;
  private readonly deleteStmt: Statement;
  private readonly sweepStmt: Statement;

  constructor(
    db: Database,
    private readonly gate?: TransactionGate,
  ) {
    this.insertStmt = db.prepare("INSERT INTO oauth_browser_sessions (session_hash, subject, claims, login_kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)");
    this.findStmt = db.prepare(
      `SELECT session_hash AS sessionHash, subject, claims, login_kind AS loginKind, created_at AS createdAt, expires_at AS expiresAt
       FROM oauth_browser_sessions WHERE session_hash = ? AND expires_at > ?`,
    );
    this.deleteStmt = db.prepare("DELETE FROM oauth_browser_sessions WHERE session_hash = ?");
    this.sweepStmt = db.prepare("DELETE FROM oauth_browser_sessions WHERE expires_at <= ?");
  }

  async insert(s: BrowserSessionRow): Promise<void> {
    await whenIdle(this.gate);
    this.insertStmt.run(s.sessionHash, s.subject, s.claims, s.loginKind, s.createdAt, s.expiresAt);
  }

  async find(sessionHash: string, now: number): Promise<BrowserSessionRow | undefined> {
    await whenIdle(this.gate);
    return this.findStmt.get(sessionHash, now) ?? undefined;
  }

  async delete(sessionHash: string): Promise<boolean> {
    await whenIdle(this.gate);
    return this.deleteStmt.run(sessionHash).changes > 0;
  }

  async sweep(now: number): Promise<number> {
    await whenIdle(this.gate);
    return this.sweepStmt.run(now).changes;
  }
}
