import type { InFlightBytes } from "../http/in-flight-bytes.ts";
import type { RateLimitStore } from "../limits/rate-limit-store.ts";
import type { ClientAbortLog } from "../log/client-aborts.ts";
import type { Logger } from "../log/logger.ts";
import type { SecretRegistry } from "../log/redact.ts";
import type { OAuthRuntime } from "../oauth/runtime.ts";
import type { Resolve } from "../oauth/ssrf.ts";
import type { Observer } from "../observe/observer.ts";
import type { Store, StoreHealth } from "../store/repositories.ts";
import type { UpstreamRuntime } from "../upstream/runtime.ts";

/**
 * The long-lived parts of one gateway process, shared by every config reload: built once by
 * createServices (compose.ts), the one place they are assembled. Policies, handlers and the
 * authorization server take what they need from here; nothing reaches for globals (clock, fetch, DNS).
 */
export interface Services {
  readonly log: Logger;
  readonly secrets: SecretRegistry;
  /** Where analytics and auth events go: the log stream, and any sink added at composition. */
  readonly observer: Observer;
  readonly store: Store;
  /** The store's health for readiness; logs `store_unhealthy` / `store_recovered` when it changes. */
  storeHealth(): Promise<StoreHealth>;
  readonly dataDir: string;
  /** The data-dir key (32 bytes, src/store/secret-key.ts): encrypts what the gateway holds for people. */
  readonly dataKey: Uint8Array;
  /** "dev" enables loopback conveniences (dev-login, http CIMD on loopback); "start" is production. */
  readonly mode: "dev" | "start";
  /** The address the server binds (--host): decides which Host names are answered by default. */
  readonly listenHost: string;
  readonly now: () => number;
  /** Outbound fetch for documents fetched on someone's say-so (CIMD) and, later, IdPs and upstream OAuth. */
  readonly fetch: typeof fetch;
  /** DNS for the SSRF guard: every address a name resolves to is checked. */
  readonly resolve: Resolve;
  /** Bytes of request bodies being read right now, gateway-wide (mcpgw.proxy.maxConcurrentBodyBytes). */
  readonly requestBodies: InFlightBytes;
  /** Request counters of rate-limit-inbound and the OAuth endpoint limits: the shared store's in a fleet, in memory otherwise. */
  readonly rateLimits: RateLimitStore;
  /** Clients that hang up mid-body: counted, logged at info at most every 10 s (src/log/client-aborts.ts). */
  readonly clientAborts: ClientAbortLog;
  /** The OAuth authorization server's process-wide state: token cache, CIMD cache, sweeper. */
  readonly oauth: OAuthRuntime;
  /** Upstream OAuth (the token exchange): the connection vault, discovery and registration, refresh. */
  readonly upstream: UpstreamRuntime;
  /** URL of the built-in demo upstream, started on first use (rewritePattern "mcpgw:demo"). */
  demoUpstreamUrl(): string;
  /** The demo upstream's URL if it is running. */
  readonly demoUrl: string | undefined;
  /** Starts what runs in the background (the OAuth sweeper). Nothing runs before this. */
  start(): void;
  /** Stops the background work and the demo upstream, then closes the store. */
  stop(): Promise<void>;
}
