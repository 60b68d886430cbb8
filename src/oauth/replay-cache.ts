// Single use of client assertions (RFC 7523 §3 item 7: the AS "MAY ensure that JWTs are not replayed by
// maintaining the set of used jti values for the length of time for which the JWT would be considered
// valid"). Behind a small async interface: one gateway process keeps the set in memory; the instances of a
// fleet keep it in their shared store (StoreReplayCache), since an assertion replayed at another instance
// would otherwise pass there.

import type { UsedAssertionRepository } from "../store/repositories.ts";
import { hashCredential } from "./credentials.ts";

export interface AssertionReplayCache {
  /**
   * Records `key` as used until `expiresAt` (ms). Resolves true the first time, false when `key` is already
   * recorded and unexpired. Throws ReplayCacheFull when no room is left for a new key.
   */
  claim(key: string, expiresAt: number): Promise<boolean>;
}

export class ReplayCacheFull extends Error {
  override name = "ReplayCacheFull";
}

/**
 * The in-process set. Bounded: when full of unexpired keys it refuses new ones rather than forget old ones
 * (forgetting would re-admit a replay). Only holders of a client's private key can add keys (the signature
 * is checked first), and a key lives at most an assertion's lifetime (5 minutes).
 */
export class MemoryReplayCache implements AssertionReplayCache {
  private readonly used = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly maxEntries = 100_000,
  ) {}

  async claim(key: string, expiresAt: number): Promise<boolean> {
    const now = this.now();
    const seen = this.used.get(key);
    if (seen !== undefined && seen > now) return false;
    if (this.used.size >= this.maxEntries) this.sweep(now);
    if (this.used.size >= this.maxEntries) throw new ReplayCacheFull(`more than ${this.maxEntries} client assertions are live`);
    this.used.set(key, expiresAt);
    return true;
  }

  private sweep(now: number): void {
    for (const [key, expiresAt] of this.used) if (expiresAt <= now) this.used.delete(key);
  }
}

/**
 * The fleet's set, in the shared store: one conditional insert per assertion, so an assertion is single use
 * across every instance. Stored as a SHA-256 of the key (client_id and jti: a client_id may be a long
 * CIMD URL). Never full: the store's sweeper removes expired ids (src/oauth/runtime.ts).
 */
export class StoreReplayCache implements AssertionReplayCache {
  constructor(
    private readonly used: UsedAssertionRepository,
    private readonly now: () => number,
  ) {}

  claim(key: string, expiresAt: number): Promise<boolean> {
    return this.used.claim(hashCredential(key), expiresAt, this.now());
  }
}
