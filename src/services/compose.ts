import { join, resolve as resolvePath } from "node:path";
import { startDemoUpstream, type DemoUpstream } from "../demo/demo-upstream.ts";
import { InFlightBytes } from "../http/in-flight-bytes.ts";
import { MemoryRateLimitStore, type RateLimitStore } from "../limits/rate-limit-store.ts";
import { SharedRateLimitStore } from "../limits/shared-rate-limit-store.ts";
import { ClientAbortLog } from "../log/client-aborts.ts";
import { createLogger, type Logger, type LoggerOptions } from "../log/logger.ts";
import { createOAuthRuntime } from "../oauth/runtime.ts";
import { systemResolve, type Resolve } from "../oauth/ssrf.ts";
import { LogSink } from "../observe/log-sink.ts";
import { Observer, type ObserverSink } from "../observe/observer.ts";
import { parseFleetKey } from "../store/fleet-key.ts";
import { isPostgresUrl, lockDataDir, openStore, StoreError, storeUrlSecrets, type DataDirLock } from "../store/open.ts";
import type { Store } from "../store/repositories.ts";
import { checkDataKey, SealingKey } from "../store/sealed.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE } from "../store/secret-key.ts";
import { UpstreamRuntime } from "../upstream/runtime.ts";
import type { Services } from "./services.ts";
import { watchStoreHealth } from "./store-health.ts";

// The composition root: the one module that builds a gateway process's Services from options. The CLI
// commands, the benchmarks and the tests all come through here, so each gets the same wiring; what a
// test wants different (the clock, DNS, fetch, a log collector, an extra event sink) is an option.

export interface ServicesOptions {
  readonly dataDir: string;
  readonly mode: "dev" | "start";
  /** The address the server binds (decides the default Host names answered). */
  readonly listenHost?: string;
  /** A logger, or the options to create one (level, format, sink). */
  readonly log?: Logger | LoggerOptions;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  readonly resolve?: Resolve;
  /** Event sinks besides the JSON log stream (metrics, traces, test collectors). */
  readonly sinks?: readonly ObserverSink[];
  /** Rate-limit counters to use instead of the default: the shared store's for a fleet, in memory otherwise. */
  readonly rateLimits?: RateLimitStore;
  /**
   * Whether this process serves the data dir (a gateway: true, the default) and so takes its lock; an
   * admin command working beside a running gateway (mcpgw connections, tokens…) does not.
   */
  readonly serving?: boolean;
  /** An already opened store (tests of a second backend); otherwise the data dir's. */
  readonly store?: Store;
  /** A postgres:// URL: the store a fleet shares ("sqlite" or none: the data dir's file). */
  readonly storeUrl?: string;
  /** The fleet's key (base64url, MCPGW_DATA_KEY): required with a shared store, which has no data dir key. */
  readonly fleetKey?: string;
}

/**
 * The key that seals upstream tokens and signs cookies, checked against the store: a shared store's
 * instances all get the fleet's key from MCPGW_DATA_KEY (there is no one data dir to keep it in); the
 * embedded store's is secret.key beside it. The store is closed when the key is missing or not its own.
 */
async function dataKeyFor(store: Store, dataDir: string, fleetKey: string | undefined): Promise<{ dataKey: Uint8Array; sealing: SealingKey }> {
  try {
    const dataKey = store.shared ? parseFleetKey(fleetKey) : loadOrCreateSecretKey(dataDir);
    const sealing = new SealingKey(dataKey);
    await checkDataKey(store.meta, sealing, store.shared ? { kind: "fleet", location: store.location } : { kind: "file", path: join(dataDir, SECRET_KEY_FILE) });
    return { dataKey, sealing };
  } catch (err) {
    await store.close();
    throw err;
  }
}

function loggerFrom(option: ServicesOptions["log"]): Logger {
  if (option && "child" in option) return option;
  return createLogger(option ?? {});
}

/**
 * Builds the Services of one process: logger, observer (log sink first), store and data-dir key, the
 * OAuth runtime. Starts nothing: call start(). A store that cannot be opened is logged and thrown as is.
 */
export async function createServices(options: ServicesOptions): Promise<Services> {
  const log = loggerFrom(options.log);
  const dataDir = resolvePath(options.dataDir);
  const now = options.now ?? Date.now;
  const outboundFetch = options.fetch ?? fetch;
  const resolve = options.resolve ?? systemResolve;
  let store: Store;
  let dataKey: Uint8Array;
  let sealing: SealingKey;
  // The embedded store serves one process: a second gateway on the same data dir is refused.
  let lock: DataDirLock | undefined;
  try {
    if (options.storeUrl) for (const secret of storeUrlSecrets(options.storeUrl)) log.secrets.add(secret);
    // The data-dir lock keeps a second process off the embedded store; a shared store is made for many.
    const shared = options.storeUrl !== undefined && isPostgresUrl(options.storeUrl);
    if (!options.store && !shared && options.serving !== false) lock = lockDataDir(dataDir);
    store = options.store ?? (await openStore(dataDir, { url: options.storeUrl }));
    ({ dataKey, sealing } = await dataKeyFor(store, dataDir, options.fleetKey));
  } catch (err) {
    lock?.release();
    if (err instanceof StoreError) log.error("store_open_failed", err.message, { code: err.code, hint: err.hint, dataDir });
    throw err;
  }
  log.secrets.add(Buffer.from(dataKey).toString("base64url"));
  const observer = new Observer([new LogSink(log), ...(options.sinks ?? [])]);
  const oauth = createOAuthRuntime({ store, log, now, mode: options.mode, resolve, fetch: outboundFetch });
  const upstream = new UpstreamRuntime({ store, sealing, dataKey, fetch: outboundFetch, resolve, now, mode: options.mode, log });
  let demo: DemoUpstream | undefined;

  return {
    log,
    secrets: log.secrets,
    observer,
    store,
    storeHealth: watchStoreHealth(store, log),
    dataDir,
    dataKey,
    mode: options.mode,
    listenHost: options.listenHost ?? "127.0.0.1",
    now,
    fetch: outboundFetch,
    resolve,
    oauth,
    requestBodies: new InFlightBytes(),
    upstream,
    // A fleet counts together in its store (one upsert per request); one process counts in memory, synchronously.
    rateLimits: options.rateLimits ?? (store.shared ? new SharedRateLimitStore(store.rateCounters) : new MemoryRateLimitStore()),
    clientAborts: new ClientAbortLog(log, now),
    demoUpstreamUrl() {
      if (!demo) {
        demo = startDemoUpstream();
        log.warn("demo_upstream_started", `Built-in DEMO MCP upstream listening on ${demo.url} (tools echo, add, get_time). For trying mcpgw only.`, { url: demo.url });
      }
      return demo.url;
    },
    get demoUrl() {
      return demo?.url;
    },
    start() {
      oauth.start();
      upstream.start();
    },
    async stop() {
      oauth.stop();
      upstream.stop();
      demo?.stop();
      await store.close();
      lock?.release();
    },
  };
}
