import { retryAfterMs, type Counter, type RateLimitDecision, type RateLimitRule, type RateLimitStore } from "./rate-limit-store.ts";

// Counters several gateway processes share (a fleet on one PostgreSQL store, docs/fleet.md). The backend
// does the whole sliding-window step in one atomic statement (the store's RateCounterRepository, which
// this interface describes without importing it: limits/ sits beside store/ and may not import it); this
// module only turns its answer into a decision, with the same Retry-After as the in-memory store.

/** One atomic step of the sliding-window counter, as `MemoryRateLimitStore.consume` does it in memory. */
export interface CounterBackend {
  consume(key: string, requestsAllowed: number, windowMs: number, now: number): Promise<{ readonly allowed: boolean; readonly counter: Readonly<Counter> }>;
}

const ALLOWED: RateLimitDecision = { allowed: true, retryAfterMs: 0 };

export class SharedRateLimitStore implements RateLimitStore {
  constructor(private readonly backend: CounterBackend) {}

  /** One round trip to the backend per call; a backend failure rejects (the caller decides: fail open or refuse). */
  async consume(key: string, rule: RateLimitRule, now: number): Promise<RateLimitDecision> {
    const { allowed, counter } = await this.backend.consume(key, rule.requestsAllowed, rule.windowMs, now);
    return allowed ? ALLOWED : { allowed: false, retryAfterMs: retryAfterMs({ ...counter }, rule.requestsAllowed, now) };
  }
}
