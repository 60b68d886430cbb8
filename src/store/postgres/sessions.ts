import type { SQL } from "bun";
import type { BrowserSessionRow, SessionRepository } from "../repositories.ts";
import { ms } from "./rows.ts";

export class PostgresSessionRepository implements SessionRepository {
  constructor(private readonly sql: SQL) {}

  async insert(s: BrowserSessionRow): Promise<void> {
    await this.sql`INSERT INTO oauth_browser_sessions (session_hash, subject, claims, login_kind, created_at, expires_at)
      VALUES (${s.sessionHash}, ${s.subject}, ${s.claims}, ${s.loginKind}, ${s.createdAt}, ${s.expiresAt})`;
  }

  async find(sessionHash: string, now: number): Promise<BrowserSessionRow | undefined> {
    const [row] = await this.sql<BrowserSessionRow[]>`SELECT session_hash AS "sessionHash", subject, claims, login_kind AS "loginKind",
      created_at AS "createdAt", expires_at AS "expiresAt" FROM oauth_browser_sessions WHERE session_hash = ${sessionHash} AND expires_at > ${now}`;
    return row && { ...row, createdAt: ms(row.createdAt), expiresAt: ms(row.expiresAt) };
  }

  async delete(sessionHash: string): Promise<boolean> {
    return (await this.sql`DELETE FROM oauth_browser_sessions WHERE session_hash = ${sessionHash}`).count > 0;
  }

  async sweep(now: number): Promise<number> {
    return (await this.sql`DELETE FROM oauth_browser_sessions WHERE expires_at <= ${now}`).count;
  }
}
