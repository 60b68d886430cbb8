import { watch, type FSWatcher } from "node:fs";
import { join, resolve } from "node:path";
import { loadProject, type LoadResult } from "../config/load.ts";
import { errorsOnly, formatProblem, type ConfigProblem } from "../config/problems.ts";
import type { GatewayConfig } from "../config/types.ts";
import { buildApp, buildUnconfiguredApp, HEALTH_READY, type Gateway, type Readiness } from "../gateway/app.ts";
import { hostPolicy } from "../gateway/host-guard.ts";
import { errorFields, type LineSink, type Logger } from "../log/logger.ts";
import type { ObserverSink } from "../observe/observer.ts";
import { DEMO_UPSTREAM } from "../schemas/mcp-proxy-handler.ts";
import { createServices } from "../services/compose.ts";
import { FLEET_KEY_ENV } from "../store/fleet-key.ts";
import type { ServeSettings } from "./args.ts";
import { chooseStore } from "./store-choice.ts";

export interface RunningGateway {
  readonly url: string;
  /** Answers a request as the server would, without a socket (benchmarks of the JS hot path, embedding). */
  handle(request: Request, clientAddress?: string): Response | Promise<Response>;
  reload(): boolean;
  stop(): Promise<void>;
}

function logProblems(log: Logger, event: string, problems: readonly ConfigProblem[]): void {
  for (const p of problems) {
    const fields = { code: p.code, file: p.file, pointer: p.pointer, line: p.line, column: p.column, hint: p.hint };
    if (p.severity === "warning") log.warn("config_warning", p.message, fields);
    else log.error(event, p.message, fields);
  }
}

function describeTarget(rewritePattern: string, demoUrl: string | undefined): string {
  if (rewritePattern === DEMO_UPSTREAM) return `${demoUrl ?? "(not started)"} [built-in DEMO upstream: replace it with your MCP server's URL]`;
  return rewritePattern;
}

/**
 * Serve a project: `dev` watches the files and reloads, `start` reloads on SIGHUP; both drain on
 * SIGTERM/SIGINT. A config that fails validation on reload is logged and the previous one keeps serving;
 * in-flight requests finish on the config they started with (each request captures the app it began on).
 */
export interface ServeOptions {
  /** Where log lines go instead of stdout (tests, embedding). */
  sink?: LineSink;
  /** Event sinks besides the log stream (tests, embedding). */
  eventSinks?: readonly ObserverSink[];
}

export async function serve(settings: ServeSettings, mode: "dev" | "start", env: Record<string, string | undefined> = process.env, options: ServeOptions = {}): Promise<RunningGateway> {
  const projectDir = resolve(settings.projectDir);
  const dataDir = resolve(settings.dataDir ?? (mode === "start" && env.STATE_DIRECTORY ? env.STATE_DIRECTORY : join(projectDir, ".mcpgw")));
  // The project is read before the store opens, for mcpgw.store; the first load() reuses this result.
  const firstLoad = loadProject(projectDir, { env });
  const projectStore = firstLoad.ok ? firstLoad.config.settings.store : undefined;
  const storeChoice = chooseStore(settings.store, projectStore, env);
  const services = await createServices({
    dataDir,
    mode,
    storeUrl: storeChoice.url,
    fleetKey: env[FLEET_KEY_ENV],
    listenHost: settings.host,
    log: { level: settings.logLevel, format: settings.logFormat, ...(options.sink ? { sink: options.sink } : {}) },
    ...(options.eventSinks ? { sinks: options.eventSinks } : {}),
  });
  const { log, store } = services;
  warnIfUpstreamConcurrencyCapped(log, process.env);
  log.info("store_opened", `Store ${store.location} (schema v${store.schemaVersion}).`, { path: store.location, schemaVersion: store.schemaVersion, shared: store.shared === true, source: storeChoice.source });

  let readiness: Readiness = { ready: false, reason: "starting" };
  const getReadiness = () => readiness;
  let app: Gateway = buildUnconfiguredApp(getReadiness);
  let config: GatewayConfig | undefined;

  const load = (initial: boolean, preloaded?: LoadResult): boolean => {
    const result = preloaded ?? loadProject(projectDir, { env });
    if (!result.ok) {
      logProblems(log, initial ? "config_invalid" : "config_reload_rejected", result.problems);
      const count = errorsOnly(result.problems).length;
      if (initial) readiness = { ready: false, reason: `configuration has ${count} problem(s); see the log or run mcpgw validate` };
      else log.error("config_reload_rejected", `The changed project has ${count} problem(s); still serving the previous configuration.`, { problems: count });
      return false;
    }
    try {
      for (const value of result.config.secretValues) log.secrets.add(value);
      const next = buildApp(result.config, services, getReadiness);
      logProblems(log, "config_invalid", result.config.warnings);
      app = next;
      config = result.config;
      readiness = { ready: true };
      if (hostPolicy(config.settings, settings.host).kind === "any") {
        log.warn("host_check_disabled", `Bound to ${settings.host} with neither mcpgw.publicOrigin nor mcpgw.allowedHosts: every Host name is answered, so DNS-rebinding protection is off.`, {
          hint: "Set mcpgw.publicOrigin (or mcpgw.allowedHosts) in zuplo.jsonc.",
        });
      }
      for (const route of config.routes) {
        log.info("route_registered", `${route.methods.join(",")} ${route.path} → ${describeTarget(route.handler.options.rewritePattern, services.demoUrl)}`, {
          path: route.path,
          methods: route.methods,
          operationId: route.operationId,
          policies: route.inbound,
        });
      }
      if (!initial && result.config.settings.store !== projectStore) {
        log.warn("store_change_needs_restart", "mcpgw.store changed; the gateway keeps using the store it started with until it restarts.", { path: store.location });
      }
      if (!initial) log.info("config_reloaded", `Configuration reloaded: ${config.routes.length} route(s).`, { routes: config.routes.length });
      return true;
    } catch (err) {
      log.error(initial ? "config_invalid" : "config_reload_rejected", "Building the gateway from the configuration failed; still serving the previous one.", errorFields(err));
      return false;
    }
  };

  const ok = load(true, firstLoad);
  if (!ok && mode === "start") {
    await services.stop();
    throw new StartupError("configuration is invalid");
  }

  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: settings.host,
      port: settings.port,
      // Each request runs on the app current when it arrived; a reload swaps `app` for later requests only.
      fetch: (request, srv) => app.fetch(request, { clientAddress: srv.requestIP(request)?.address }),
      error: (err) => {
        log.error("request_failed", "Unhandled error while serving a request.", errorFields(err));
        return new Response(JSON.stringify({ type: "https://httpproblems.com/http-status/500", status: 500, detail: "internal error" }), {
          status: 500,
          headers: { "content-type": "application/problem+json" },
        });
      },
    });
  } catch (err) {
    log.error("listen_failed", `Cannot listen on ${settings.host}:${settings.port}: ${(err as Error).message}`, { host: settings.host, port: settings.port, hint: "Pick another --port, or stop the process using it." });
    await services.stop();
    throw new StartupError("cannot listen");
  }
  const url = `http://${settings.host.includes(":") ? `[${settings.host}]` : settings.host}:${server.port}`;
  services.start();
  log.info("gateway_listening", `mcpgw ${mode} listening on ${url} (readiness: ${url}${HEALTH_READY})`, { url, mode, projectDir, dataDir });

  let watcher: FSWatcher | undefined;
  if (mode === "dev") {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const watched = /^(zuplo\.jsonc|\.env|config[/\\].*\.json)$/;
    watcher = watch(projectDir, { recursive: true }, (_event, file) => {
      if (!file || !watched.test(String(file))) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        log.info("config_changed", `${String(file)} changed; reloading.`, { file: String(file) });
        load(false);
      }, 150);
    });
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      watcher?.close();
      log.info("gateway_draining", "Draining: no new connections; waiting for in-flight requests.");
      const forced = setTimeout(() => void server.stop(true), 30_000);
      await server.stop(false);
      clearTimeout(forced);
      await services.stop();
      log.info("gateway_stopped", "Stopped.");
    })());

  return { url, handle: (request, clientAddress) => app.fetch(request, { clientAddress }), reload: () => load(false), stop };
}

/** Below this, slow tool calls and open SSE streams queue behind each other inside fetch(). */
export const MIN_UPSTREAM_CONCURRENCY = 1024;

/**
 * Bun's fetch() runs at most BUN_CONFIG_MAX_HTTP_REQUESTS requests at once (default 256) and reads it only
 * when the process starts: `npx mcpgw` and `npm start` set it, and the compiled binary re-executes itself
 * with it (upstream-concurrency.ts). Anyone who still ends up below the floor (an explicit low value,
 * `bun src/cli/main.ts`) is told how to fix it.
 */
function warnIfUpstreamConcurrencyCapped(log: Logger, env: Record<string, string | undefined>): void {
  const value = Number(env.BUN_CONFIG_MAX_HTTP_REQUESTS ?? 256);
  if (value >= MIN_UPSTREAM_CONCURRENCY) return;
  log.warn("upstream_concurrency_limited", `At most ${value} upstream requests can be open at once; further calls queue. Set BUN_CONFIG_MAX_HTTP_REQUESTS=65535 in the service environment.`, {
    limit: value,
    hint: "docs/operations.md#upstream-concurrency",
  });
}

export class StartupError extends Error {
  override name = "StartupError";
}
