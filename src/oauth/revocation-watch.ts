import type { Logger } from "../log/logger.ts";
import type { Revocation, Store } from "../store/repositories.ts";
import type { AccessTokenValidator } from "./access-tokens.ts";

// In a fleet, a token revoked on one instance may sit in another's access-token cache. A shared store
// tells every instance about each committed revocation (PostgreSQL LISTEN/NOTIFY), and this evicts it at
// once; the cache's maximum age stays the bound for notices that never arrive (a dropped listening
// connection: after Bun reconnects it, the whole cache is forgotten, since notices may have been missed).

export function evictOnRevocation(accessTokens: AccessTokenValidator): (revocation: Revocation) => void {
  return (revocation) => {
    if (revocation.kind === "token") accessTokens.evictToken(revocation.tokenHash);
    else if (revocation.kind === "grant") accessTokens.evictGrant(revocation.grantId);
    else accessTokens.clear();
  };
}

/** Subscribes when the store can tell; resolves to the unsubscribe function (a no-op otherwise). */
export async function watchRevocations(store: Store, accessTokens: AccessTokenValidator, log: Logger): Promise<() => Promise<void>> {
  if (!store.watchRevocations) return async () => {};
  try {
    return await store.watchRevocations(evictOnRevocation(accessTokens));
  } catch (err) {
    log.warn("mcp_auth_revocation_watch_failed", "Cannot subscribe to revocation notices; revocations on other instances take up to mcpgw.oauth.tokenCacheSeconds to be seen here.", {
      errMessage: (err as Error).message,
    });
    return async () => {};
  }
}
