import { resolve as resolvePath } from "node:path";
import { startDemoUpstream, type DemoUpstream } from "../demo/demo-upstream.ts";
import { createLogger, type Logger, type LoggerOptions } from "../log/logger.ts";
import { createOAuthRuntime } from "../oauth/runtime.ts";
import { systemResolve, type Resolve } from "../oauth/ssrf.ts";
import { LogSink } from "../observe/log-sink.ts";
import { Observer, type ObserverSink } from "../observe/observer.ts";
import { openStore, StoreError, storeUrlSecrets } from "../store/open.ts";
import type { Store } from "../store/repositories.ts";
import { checkFleetKey, parseFleetKey } from "../store/fleet-key.ts";
import { loadOrCreateSecretKey } from "../store/secret-key.ts";
import type { Services } from "./services.ts";

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
  /** An already opened store (tests of a second backend); otherwise the data dir's. */
  readonly store?: Store;
  /** A postgres:// URL: the store a fleet shares ("sqlite" or none: the data dir's file). */
  readonly storeUrl?: string;
  /** The fleet's key (base64url, MCPGW_DATA_KEY): required with a shared store, which has no data dir key. */
  readonly fleetKey?: string;
}

async function sharedKey(store: Store, text: string | undefined): Promise<Uint8Array> {
  try {
    const key = parseFleetKey(text);
    await checkFleetKey(store.meta, key, store.location);
    return key;
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
  try {
    if (options.storeUrl) for (const secret of storeUrlSecrets(options.storeUrl)) log.secrets.add(secret);
    store = options.store ?? (await openStore(dataDir, { url: options.storeUrl }));
    dataKey = store.shared ? await sharedKey(store, options.fleetKey) : loadOrCreateSecretKey(dataDir);
  } catch (err) {
    if (err instanceof StoreError) log.error("store_open_failed", err.message, { code: err.code, hint: err.hint, dataDir });
    throw err;
  }
  log.secrets.add(Buffer.from(dataKey).toString("base64url"));
  const observer = new Observer([new LogSink(log), ...(options.sinks ?? [])]);
  const oauth = createOAuthRuntime({ store, log, now, mode: options.mode, resolve, fetch: outboundFetch });
  let demo: DemoUpstream | undefined;

  return {
    log,
    secrets: log.secrets,
    observer,
    store,
    dataDir,
    dataKey,
    mode: options.mode,
    listenHost: options.listenHost ?? "127.0.0.1",
    now,
    fetch: outboundFetch,
    resolve,
    oauth,
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
    },
    async stop() {
      oauth.stop();
      demo?.stop();
      await store.close();
    },
  };
}
