import type { SQL } from "bun";
import type { UsedAssertionRepository } from "../repositories.ts";

// Used client-assertion ids of a fleet: one conditional insert per assertion. Of two instances inserting
// the same id at once, the second waits for the first's row and then finds it there (no row returned). An
// expired row the sweeper has not removed yet is taken over, as if it were gone.

export class PostgresUsedAssertionRepository implements UsedAssertionRepository {
  constructor(private readonly sql: SQL) {}

  async claim(keyHash: string, expiresAt: number, now: number): Promise<boolean> {
    const rows = await this.sql`INSERT INTO oauth_used_assertions AS u (key_hash, expires_at) VALUES (${keyHash}, ${expiresAt})
      ON CONFLICT (key_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE u.expires_at <= ${now}
      RETURNING 1`;
    return rows.length === 1;
  }

  async sweep(now: number): Promise<number> {
    return (await this.sql`DELETE FROM oauth_used_assertions WHERE expires_at <= ${now}`).count;
  }
}
