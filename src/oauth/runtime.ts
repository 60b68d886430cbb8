import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/database.ts";
import { OAuthClientStore } from "../store/oauth-clients.ts";
import { OAuthFlowStore } from "../store/oauth-flows.ts";
import { OAuthTokenStore } from "../store/oauth-tokens.ts";
import { AccessTokenValidator } from "./access-tokens.ts";
import { CimdClientResolver } from "./cimd.ts";
import { JwksResolver } from "./jwks.ts";
import { MemoryReplayCache, type AssertionReplayCache } from "./replay-cache.ts";
import { systemResolve, type Resolve } from "./ssrf.ts";

// The long-lived part of the authorization server: repositories (statements prepared once), the token
// cache, the CIMD and JWKS caches, the used client-assertion ids and the sweeper. One per process, created by the CLI next to the store and shared
// by every config reload; what a config decides (TTLs, routes, login) is passed in per call.

/** Replayed codes are recognised for this long after they expire (they then revoke their grant). */
const CODE_REPLAY_WINDOW_MS = 60 * 60_000;
const SWEEP_INTERVAL_MS = 10 * 60_000;

export interface OAuthRuntime {
  readonly clients: OAuthClientStore;
  readonly flows: OAuthFlowStore;
  readonly tokens: OAuthTokenStore;
  readonly accessTokens: AccessTokenValidator;
  readonly cimd: CimdClientResolver;
  /** private_key_jwt clients' JWK Sets by jwks_uri. */
  readonly jwks: JwksResolver;
  /** jti values of client assertions already used (in memory: one process; see docs/oauth.md). */
  readonly assertionReplay: AssertionReplayCache;
  /** Revoke a grant (every token issued under it) and drop it from the token cache. */
  revokeGrant(grantId: string): boolean;
  /** Delete expired clients, requests, sessions, codes, tokens and grants. */
  sweep(): void;
  /** Stop the sweeper timer (the store is closed by its owner). */
  stop(): void;
}

export interface OAuthRuntimeOptions {
  readonly store: Store;
  readonly log: Logger;
  readonly now: () => number;
  readonly mode: "dev" | "start";
  readonly resolve?: Resolve;
}

export function createOAuthRuntime(options: OAuthRuntimeOptions): OAuthRuntime {
  const { store, log, now, mode } = options;
  const clients = new OAuthClientStore(store.db);
  const flows = new OAuthFlowStore(store.db);
  const tokens = new OAuthTokenStore(store.db);
  const accessTokens = new AccessTokenValidator(tokens, now);
  const fetchPolicy = { resolve: options.resolve ?? systemResolve, devMode: mode === "dev" };
  const cimd = new CimdClientResolver(fetchPolicy, now);
  const jwks = new JwksResolver(fetchPolicy, now);
  const assertionReplay = new MemoryReplayCache(now);

  const sweep = () => {
    const t = now();
    try {
      const removed = { clients: clients.sweep(t), flows: flows.sweep(t), ...tokens.sweep(t, t - CODE_REPLAY_WINDOW_MS) };
      log.debug("mcp_auth_store_swept", "Expired OAuth rows removed.", removed);
    } catch (err) {
      log.warn("mcp_auth_store_sweep_failed", "Removing expired OAuth rows failed; will retry.", { errMessage: (err as Error).message });
    }
  };
  sweep();
  const timer = setInterval(sweep, SWEEP_INTERVAL_MS);
  timer.unref();

  return {
    clients,
    flows,
    tokens,
    accessTokens,
    cimd,
    jwks,
    assertionReplay,
    revokeGrant: (grantId) => {
      const changed = tokens.revokeGrant(grantId, now());
      accessTokens.evictGrant(grantId);
      return changed;
    },
    sweep,
    stop: () => clearInterval(timer),
  };
}
