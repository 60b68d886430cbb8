import type { SQL } from "bun";
import type { LoginStateRepository, LoginStateRow } from "../repositories.ts";
import { ms } from "./rows.ts";

type Row = Omit<LoginStateRow, "createdAt" | "expiresAt"> & { createdAt: string; expiresAt: string; live: boolean };

export class PostgresLoginStateRepository implements LoginStateRepository {
  constructor(private readonly sql: SQL) {}

  async insert(r: LoginStateRow): Promise<void> {
    await this.sql`INSERT INTO oauth_login_states (state_hash, request_id, nonce_hash, browser_hash, redirect_uri, pkce, created_at, expires_at)
      VALUES (${r.stateHash}, ${r.requestId}, ${r.nonceHash}, ${r.browserHash}, ${r.redirectUri}, ${r.pkce}, ${r.createdAt}, ${r.expiresAt})`;
  }

  async take(stateHash: string, now: number): Promise<LoginStateRow | undefined> {
    // One statement: of two callbacks racing with the same state, the second's DELETE waits for the
    // first to commit and then finds no row. An expired row goes too, and reads as unknown.
    const [row] = await this.sql<Row[]>`DELETE FROM oauth_login_states WHERE state_hash = ${stateHash}
      RETURNING state_hash AS "stateHash", request_id AS "requestId", nonce_hash AS "nonceHash", browser_hash AS "browserHash",
        redirect_uri AS "redirectUri", pkce, created_at AS "createdAt", expires_at AS "expiresAt", expires_at > ${now} AS live`;
    if (!row || !row.live) return undefined;
    const { live: _live, ...state } = row;
    return { ...state, createdAt: ms(state.createdAt), expiresAt: ms(state.expiresAt) };
  }

  async sweep(now: number): Promise<number> {
    return (await this.sql`DELETE FROM oauth_login_states WHERE expires_at <= ${now}`).count;
  }
}
