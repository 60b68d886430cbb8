import type { Database, Statement } from "bun:sqlite";
import type { RateCounterRepository, RateCounterRow } from "../repositories.ts";
import { whenIdle, type TransactionGate } from "./gate.ts";

// The embedded store's rate-limit counters: the same one-statement step as PostgreSQL's (see
// ../postgres/rate-counters.ts for the reading), so the contract suite holds both to one behaviour. A
// single gateway process counts in memory instead (src/services/compose.ts): this is for a store others
// share, and for the contract.

type Row = RateCounterRow & { allowed: number };

export class SqliteRateCounterRepository implements RateCounterRepository {
  private readonly consumeStmt: Statement<Row, [string, number, number, number, number, number]>;
  private readonly sweepStmt: Statement;

  constructor(
    db: Database,
    private readonly gate?: TransactionGate,
  ) {
    // ?1 key, ?2 window (ms), ?3 start of the window `now` falls in, ?4 now − ?3, ?5 requests allowed, ?6 the
    // first request's decision. CAST: SQLite divides integers as integers.
    this.consumeStmt = db.prepare(
      `INSERT INTO rate_limit_counters AS c (counter_key, window_ms, window_start, previous, current, allowed) VALUES (?1, ?2, ?3, 0, ?6, ?6)
       ON CONFLICT (counter_key) DO UPDATE SET (window_ms, window_start, previous, current, allowed) = (
         SELECT ?2, ?3, d.previous, d.current + d.ok, d.ok FROM (
           SELECT a.previous, a.current, a.previous * max(0.0, 1.0 - CAST(?4 AS REAL) / ?2) + a.current + 1 <= ?5 AS ok
           FROM (SELECT CASE WHEN c.window_ms <> ?2 THEN 0 WHEN c.window_start = ?3 THEN c.previous WHEN c.window_start = ?3 - ?2 THEN c.current ELSE 0 END AS previous,
                        CASE WHEN c.window_ms = ?2 AND c.window_start = ?3 THEN c.current ELSE 0 END AS current) AS a) AS d)
       RETURNING window_start AS windowStart, window_ms AS windowMs, previous, current, allowed`,
    );
    this.sweepStmt = db.prepare("DELETE FROM rate_limit_counters WHERE window_start + 2 * window_ms <= ?");
  }

  async consume(key: string, requestsAllowed: number, windowMs: number, now: number): Promise<{ allowed: boolean; counter: RateCounterRow }> {
    await whenIdle(this.gate);
    const start = now - (now % windowMs);
    const { allowed, ...counter } = this.consumeStmt.get(key, windowMs, start, now - start, requestsAllowed, requestsAllowed >= 1 ? 1 : 0)!;
    return { allowed: allowed === 1, counter };
  }

  async sweep(now: number): Promise<number> {
    await whenIdle(this.gate);
    return this.sweepStmt.run(now).changes;
  }
}
