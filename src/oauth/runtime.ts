import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/repositories.ts";
import { AccessTokenValidator } from "./access-tokens.ts";
import { CimdClientResolver } from "./cimd.ts";
import { JwksResolver } from "./jwks.ts";
import { MemoryReplayCache, StoreReplayCache, type AssertionReplayCache } from "./replay-cache.ts";
import { watchRevocations } from "./revocation-watch.ts";
import type { Resolve } from "./ssrf.ts";

// The long-lived part of the authorization server: the token cache, the CIMD and JWKS caches, the used
// client-assertion ids and the sweeper over the store. One per process, built by the composition root
// (src/services/) and shared by every config reload; what a config decides (TTLs, routes, login) is
// passed in per call. No timer runs until start().

/** Replayed codes are recognised for this long after they expire (they then revoke their grant). */
const CODE_REPLAY_WINDOW_MS = 60 * 60_000;
const SWEEP_INTERVAL_MS = 10 * 60_000;

export interface OAuthRuntime {
  readonly accessTokens: AccessTokenValidator;
  readonly cimd: CimdClientResolver;
  /** private_key_jwt clients' JWK Sets by jwks_uri. */
  readonly jwks: JwksResolver;
  /** jti values of client assertions already used: in memory for one process, in the store for a fleet. */
  readonly assertionReplay: AssertionReplayCache;
  /** Revoke a grant (every token issued under it) and drop it from the token cache. */
  revokeGrant(grantId: string): Promise<boolean>;
  /** Delete expired clients, requests, sessions, login states, codes, tokens and grants; used assertion ids and idle rate-limit counters. */
  sweep(): Promise<void>;
  /** Sweep now and every 10 minutes; in a fleet, evict what other instances revoke. */
  start(): void;
  /** Stop the sweeper (the store is closed by its owner). */
  stop(): void;
}

export interface OAuthRuntimeOptions {
  readonly store: Store;
  readonly log: Logger;
  readonly now: () => number;
  readonly mode: "dev" | "start";
  readonly resolve: Resolve;
  readonly fetch: typeof fetch;
}

export function createOAuthRuntime(options: OAuthRuntimeOptions): OAuthRuntime {
  const { store, log, now, mode } = options;
  const accessTokens = new AccessTokenValidator(store.tokens, now);
  const fetchPolicy = { resolve: options.resolve, fetch: options.fetch, devMode: mode === "dev" };
  const cimd = new CimdClientResolver(fetchPolicy, now);
  const jwks = new JwksResolver(fetchPolicy, now);
  // A shared store: single use across the fleet (docs/fleet.md); otherwise this process is the only one.
  const assertionReplay = store.shared ? new StoreReplayCache(store.usedAssertions, now) : new MemoryReplayCache(now);

  const sweep = async () => {
    const t = now();
    try {
      const removed = { clients: await store.clients.sweep(t), flows: await store.flows.sweep(t), sessions: await store.sessions.sweep(t), logins: await store.logins.sweep(t), ...(await store.tokens.sweep(t, t - CODE_REPLAY_WINDOW_MS)), assertions: await store.usedAssertions.sweep(t), rateCounters: await store.rateCounters.sweep(t) };
      log.debug("mcp_auth_store_swept", "Expired OAuth rows removed.", removed);
    } catch (err) {
      log.warn("mcp_auth_store_sweep_failed", "Removing expired OAuth rows failed; will retry.", { errMessage: (err as Error).message });
    }
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  let unwatch: Promise<() => Promise<void>> | undefined;

  return {
    accessTokens,
    cimd,
    jwks,
    assertionReplay,
    revokeGrant: async (grantId) => {
      const changed = await store.tokens.revokeGrant(grantId, now());
      accessTokens.evictGrant(grantId);
      return changed;
    },
    sweep,
    start: () => {
      if (timer) return;
      void sweep();
      timer = setInterval(() => void sweep(), SWEEP_INTERVAL_MS);
      timer.unref();
      unwatch = watchRevocations(store, accessTokens, log);
    },
    stop: () => {
      clearInterval(timer);
      timer = undefined;
      // The store closes right after and takes the listening connection with it; this only tidies up.
      void unwatch?.then((stopWatching) => stopWatching()).catch(() => {});
      unwatch = undefined;
    },
  };
}
