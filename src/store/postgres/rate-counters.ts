import type { SQL } from "bun";
import type { RateCounterRepository, RateCounterRow } from "../repositories.ts";
import { ms } from "./rows.ts";

// A fleet's rate-limit counters: one row per counter, and one statement per request. The upsert locks the
// row, so concurrent requests of every instance step the counter one after the other: move its windows to
// the one `now` falls in (the current count becomes the previous one when the window moved by exactly
// one, zero when by more, or when the rule's window changed), decide with the sliding-window estimate
// (src/limits/rate-limit-store.ts: previous × (1 − elapsed/window) + current, in float8 as JavaScript
// computes it, so both decide alike), and count the request only when it fits. `allowed` keeps the
// decision for RETURNING: the counter alone cannot tell a refused request from an allowed last one.

type Row = Omit<RateCounterRow, "windowStart" | "windowMs"> & { windowStart: string; windowMs: string; allowed: boolean };

export class PostgresRateCounterRepository implements RateCounterRepository {
  constructor(private readonly sql: SQL) {}

  async consume(key: string, requestsAllowed: number, windowMs: number, now: number): Promise<{ allowed: boolean; counter: RateCounterRow }> {
    const start = now - (now % windowMs);
    const first = requestsAllowed >= 1;
    const [row] = await this.sql<Row[]>`
      INSERT INTO rate_limit_counters AS c (counter_key, window_ms, window_start, previous, current, allowed)
      VALUES (${key}, ${windowMs}, ${start}, 0, ${first ? 1 : 0}, ${first})
      ON CONFLICT (counter_key) DO UPDATE SET (window_ms, window_start, previous, current, allowed) = (
        SELECT ${windowMs}::bigint, ${start}::bigint, d.previous, d.current + d.ok::int, d.ok FROM (
          SELECT a.previous, a.current, a.previous * greatest(0, 1 - ${now - start}::float8 / ${windowMs}::float8) + a.current + 1 <= ${requestsAllowed}::int AS ok
          FROM (SELECT
            CASE WHEN c.window_ms <> ${windowMs}::bigint THEN 0 WHEN c.window_start = ${start}::bigint THEN c.previous
                 WHEN c.window_start = ${start - windowMs}::bigint THEN c.current ELSE 0 END AS previous,
            CASE WHEN c.window_ms = ${windowMs}::bigint AND c.window_start = ${start}::bigint THEN c.current ELSE 0 END AS current) AS a) AS d)
      RETURNING window_start AS "windowStart", window_ms AS "windowMs", previous, current, allowed`;
    const { allowed, ...counter } = row!;
    return { allowed, counter: { ...counter, windowStart: ms(counter.windowStart), windowMs: ms(counter.windowMs) } };
  }

  async sweep(now: number): Promise<number> {
    return (await this.sql`DELETE FROM rate_limit_counters WHERE window_start + 2 * window_ms <= ${now}`).count;
  }
}
