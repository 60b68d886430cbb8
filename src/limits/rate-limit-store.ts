// Request counters for rate limits: the `rate-limit-inbound` policy and the built-in limits on the OAuth
// endpoints. This is the lowest layer (it imports nothing): the interface is what a shared store (Redis,
// PostgreSQL) implements later so several gateway processes count together; the in-memory store below
// counts for one process.

/** How many requests one key may make per window. */
export interface RateLimitRule {
  readonly requestsAllowed: number;
  readonly windowMs: number;
}

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** When refused: how long until a request would be allowed again (ms, at least 1 s). 0 when allowed. */
  readonly retryAfterMs: number;
}

/**
 * Counts requests per key and decides. `consume` counts the request only when it is allowed, so a
 * refused caller that keeps retrying does not push its own window further out.
 */
export interface RateLimitStore {
  consume(key: string, rule: RateLimitRule, now: number): RateLimitDecision | Promise<RateLimitDecision>;
}

export interface Counter {
  /** Start of the current fixed window (a multiple of windowMs). */
  windowStart: number;
  current: number;
  previous: number;
  windowMs: number;
}

const ALLOWED: RateLimitDecision = { allowed: true, retryAfterMs: 0 };
const MIN_RETRY_MS = 1000;
/** Idle counters are dropped at most this often (a pass over every key). */
const SWEEP_INTERVAL_MS = 10_000;

/**
 * The sliding window as Zuplo describes it ("continuously tracks requests over a rolling time period",
 * docs/rate-limiting/how-it-works): the count over the last window is estimated from the current fixed
 * window plus the previous one weighted by how much of it still overlaps — the sliding-window counter
 * (Cloudflare's), two numbers per key instead of a timestamp per request. No burst at window edges.
 */
export function estimate(c: Counter, now: number): number {
  const elapsed = now - c.windowStart;
  return c.previous * Math.max(0, 1 - elapsed / c.windowMs) + c.current;
}

/** Moves the counter's windows forward to the one `now` falls in. */
function advance(c: Counter, now: number): void {
  const start = now - (now % c.windowMs);
  if (start === c.windowStart) return;
  c.previous = start - c.windowStart === c.windowMs ? c.current : 0;
  c.current = 0;
  c.windowStart = start;
}

/** How long until one more request fits under `limit` (estimate ≤ limit − 1), given the counter as of `now`. */
export function retryAfterMs(c: Counter, limit: number, now: number): number {
  const elapsed = now - c.windowStart;
  const W = c.windowMs;
  const room = limit - 1;
  // Still in this window: the previous window's weight fades until previous·(1 − t/W) + current ≤ room.
  if (c.current <= room && c.previous > 0) {
    const t = W * (1 - (room - c.current) / c.previous);
    if (t < W) return Math.max(MIN_RETRY_MS, Math.ceil(t - elapsed));
  }
  // In the next window this one becomes "previous": current·(1 − t/W) ≤ room.
  const next = c.current <= room ? 0 : W * (1 - room / c.current);
  return Math.max(MIN_RETRY_MS, Math.ceil(W - elapsed + next));
}

export interface MemoryRateLimitStoreOptions {
  /** At most this many keys are tracked; past it the least recently inserted are forgotten. */
  readonly maxKeys?: number;
}

/**
 * One process's counters. Bounded: keys idle for two windows are swept every 10 s at most, and past
 * `maxKeys` (default 100,000: a few MB) the oldest keys are dropped — an attacker rotating addresses
 * can make the limiter forget, not make it grow.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly counters = new Map<string, Counter>();
  private readonly maxKeys: number;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  get size(): number {
    return this.counters.size;
  }

  consume(key: string, rule: RateLimitRule, now: number): RateLimitDecision {
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS) this.sweep(now);
    let c = this.counters.get(key);
    if (!c || c.windowMs !== rule.windowMs) {
      if (!c && this.counters.size >= this.maxKeys) this.counters.delete(this.counters.keys().next().value!);
      c = { windowStart: now - (now % rule.windowMs), current: 0, previous: 0, windowMs: rule.windowMs };
      this.counters.set(key, c);
    }
    advance(c, now);
    if (estimate(c, now) + 1 > rule.requestsAllowed) return { allowed: false, retryAfterMs: retryAfterMs(c, rule.requestsAllowed, now) };
    c.current++;
    return ALLOWED;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, c] of this.counters) if (now - c.windowStart >= 2 * c.windowMs) this.counters.delete(key);
  }
}
