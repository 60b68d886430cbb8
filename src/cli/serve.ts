import { watch, type FSWatcher } from "node:fs";
import { join, resolve } from "node:path";
import { loadProject, type LoadResult } from "../config/load.ts";
import { errorsOnly, formatProblem, type ConfigProblem } from "../config/problems.ts";
import type { GatewayConfig } from "../config/types.ts";
import { buildApp, buildUnconfiguredApp, HEALTH_READY, type Gateway, type Readiness } from "../gateway/app.ts";
import { hostPolicy } from "../gateway/host-guard.ts";
import { errorFields, type LineSink, type Logger } from "../log/logger.ts";
import type { ObserverSink } from "../observe/observer.ts";
import { devLoginKeyFor, devLoginLink } from "../oauth/dev-login.ts";
import { createServices } from "../services/compose.ts";
import { FLEET_KEY_ENV } from "../store/fleet-key.ts";
import type { ServeSettings } from "./args.ts";
import { routeLines } from "./route-lines.ts";
import { setUpObservability } from "./observability.ts";
import { chooseStore } from "./store-choice.ts";

export interface RunningGateway {
  readonly url: string;
  /** `mcpgw dev` with dev-login: the link a browser opens once to be allowed to sign in (see dev-login.ts). */
  readonly devLoginUrl: string | undefined;
  /** The admin listener's URL (GET /metrics), when --admin-port is set. */
  readonly adminUrl: string | undefined;
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
  // Metrics (--admin-port) and traces (OTEL_EXPORTER_OTLP_ENDPOINT) are event sinks: docs/observability.md.
  const observability = await setUpObservability(settings.admin, env);
  const services = await createServices({
    dataDir,
    mode,
    storeUrl: storeChoice.url,
    fleetKey: env[FLEET_KEY_ENV],
    listenHost: settings.host,
    log: { level: settings.logLevel, format: settings.logFormat, ...(options.sink ? { sink: options.sink } : {}) },
    sinks: [...observability.sinks, ...(options.eventSinks ?? [])],
  });
  const { log, store } = services;
  warnIfUpstreamConcurrencyCapped(log, process.env);
  log.info("store_opened", `Store ${store.location} (schema v${store.schemaVersion}).`, { path: store.location, schemaVersion: store.schemaVersion, shared: store.shared === true, source: storeChoice.source });

  let readiness: Readiness = { ready: false, reason: "starting" };
  const getReadiness = () => readiness;
  let app: Gateway = buildUnconfiguredApp(getReadiness);
  let config: GatewayConfig | undefined;
  /** Where the gateway listens, once it does. */
  let url: string | undefined;
  const logRoutes = (routes: GatewayConfig, listenUrl: string) => {
    for (const line of routeLines(routes, listenUrl, mode, services.demoUrl)) log.info("route_registered", line.msg, line.fields);
  };

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
      observability.configLoaded(result.config);
      app = next;
      config = result.config;
      readiness = { ready: true };
      if (hostPolicy(config.settings, settings.host).kind === "any") {
        log.warn("host_check_disabled", `Bound to ${settings.host} with neither mcpgw.publicOrigin nor mcpgw.allowedHosts: every Host name is answered, so DNS-rebinding protection is off.`, {
          hint: "Set mcpgw.publicOrigin (or mcpgw.allowedHosts) in zuplo.jsonc.",
        });
      }
      // At first start the routes are listed once the gateway listens: their URLs need its port.
      if (url !== undefined) logRoutes(config, url);
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
    await observability.stop();
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
    await observability.stop();
    await services.stop();
    throw new StartupError("cannot listen");
  }
  url = `http://${settings.host.includes(":") ? `[${settings.host}]` : settings.host}:${server.port}`;
  try {
    observability.start(services);
  } catch {
    await server.stop(true);
    await observability.stop();
    await services.stop();
    throw new StartupError("cannot listen on the admin address");
  }
  if (config) logRoutes(config, url);
  services.start();
  log.info("gateway_listening", `mcpgw ${mode} listening on ${url} (readiness: ${url}${HEALTH_READY})`, { url, mode, projectDir, dataDir });

  // dev-login answers only browsers that hold its key (issue 18): say where to get it, and why it matters.
  const loopbackUrl = ["0.0.0.0", "::", ""].includes(settings.host) ? `http://127.0.0.1:${server.port}` : url;
  const devLoginUrl = () =>
    mode === "dev" && config?.authorizationServer?.options.login.kind === "local_dev" ? devLoginLink(loopbackUrl, config.settings.basePath, devLoginKeyFor(services.dataKey)) : undefined;
  let announced = false;
  const announceDevLogin = () => {
    const link = devLoginUrl();
    if (!link || announced) return;
    announced = true;
    log.warn("dev_login_link", `dev-login: open ${link} once in the browser you sign in with. The link is a key: whoever has it and can reach this port signs in as a dev user, so never share it or expose the port (ssh -L, socat, kubectl port-forward on 0.0.0.0).`, {
      url: link,
      hint: "docs/oauth.md#dev-login-key",
    });
  };
  announceDevLogin();

  let watcher: FSWatcher | undefined;
  if (mode === "dev") {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const watched = /^(zuplo\.jsonc|\.env|config[/\\].*\.json)$/;
    watcher = watch(projectDir, { recursive: true }, (_event, file) => {
      if (!file || !watched.test(String(file))) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        log.info("config_changed", `${String(file)} changed; reloading.`, { file: String(file) });
        if (load(false)) announceDevLogin();
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
      await observability.stop();
      await services.stop();
      log.info("gateway_stopped", "Stopped.");
    })());

  return {
    url,
    adminUrl: observability.adminUrl,
    get devLoginUrl() {
      return devLoginUrl();
    },
    handle: (request, clientAddress) => app.fetch(request, { clientAddress }),
    reload: () => load(false),
    stop,
  };
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
