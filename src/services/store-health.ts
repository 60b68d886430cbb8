import type { Logger } from "../log/logger.ts";
import type { Store, StoreHealth } from "../store/repositories.ts";

/**
 * The store's health as readiness asks for it, logged when it changes: `store_unhealthy` (error, with
 * the problem's code and hint) once per new problem, `store_recovered` when writes can succeed again.
 * Probes arrive every few seconds; the log gets one line per change, not one per probe.
 */
export function watchStoreHealth(store: Store, log: Logger): () => Promise<StoreHealth> {
  let lastCode: string | undefined;
  return async () => {
    const health = await store.health();
    const code = health.ok ? undefined : health.code;
    if (code !== lastCode) {
      if (!health.ok) log.error("store_unhealthy", health.message, { code: health.code, hint: health.hint, path: store.location });
      else log.info("store_recovered", `The store ${store.location} accepts writes again.`, { path: store.location, previousCode: lastCode });
      lastCode = code;
    }
    return health;
  };
}
