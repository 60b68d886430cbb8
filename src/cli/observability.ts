import { statSync } from "node:fs";
import type { GatewayConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { MetricsSink } from "../observe/metrics/metrics-sink.ts";
import type { ObserverSink } from "../observe/observer.ts";
import { RouteUpstreams } from "../observe/route-upstreams.ts";
import { otlpTracesEndpoint } from "../observe/traces/endpoint.ts";
import type { OtlpTracing } from "../observe/traces/otlp.ts";
import type { Services } from "../services/services.ts";
import { startAdminListener, type AdminListener } from "./admin-listener.ts";
import type { AdminSettings } from "./args.ts";
import { buildInfo } from "./build-info.ts";

// What `mcpgw dev|start` adds for operators besides the log stream: the metrics sink and its admin
// listener (--admin-port), and the OTLP trace sink (OTEL_EXPORTER_OTLP_ENDPOINT). Both are observer
// sinks given to createServices; with neither configured, this adds nothing at all to a request.

export interface Observability {
  readonly sinks: readonly ObserverSink[];
  /** Each configuration the gateway starts serving: routes → upstreams for labels and span attributes. */
  configLoaded(config: GatewayConfig): void;
  /** Binds the admin listener (if any) once services exist; throws when it cannot listen. */
  start(services: Services): void;
  readonly adminUrl: string | undefined;
  /** Stops the admin listener and flushes buffered spans. */
  stop(): Promise<void>;
}

/** The SQLite file and its write-ahead log; undefined when the store is not a file. */
function storeFileBytes(location: string): number | undefined {
  try {
    const main = statSync(location).size;
    let wal = 0;
    try {
      wal = statSync(`${location}-wal`).size;
    } catch {
      // No WAL file between checkpoints.
    }
    return main + wal;
  } catch {
    return undefined;
  }
}

export async function setUpObservability(admin: AdminSettings | undefined, env: Record<string, string | undefined>): Promise<Observability> {
  const upstreams = new RouteUpstreams();
  const sinks: ObserverSink[] = [];
  let log: Logger | undefined;
  let storeLocation: string | undefined;

  let metrics: MetricsSink | undefined;
  if (admin) {
    // Loaded only with an admin listener, like the tracing SDK below.
    const { MetricsSink } = await import("../observe/metrics/metrics-sink.ts");
    const build = buildInfo();
    metrics = new MetricsSink({ build, upstreams, storeBytes: () => (storeLocation ? storeFileBytes(storeLocation) : undefined) });
    sinks.push(metrics);
  }

  let tracing: OtlpTracing | undefined;
  // Loaded only when tracing is on: the OpenTelemetry SDK is not part of a gateway that does not use it.
  const endpoint = otlpTracesEndpoint(env);
  if (endpoint) {
    const { createOtlpTracing } = await import("../observe/traces/otlp.ts");
    tracing = createOtlpTracing({
      endpoint,
      env,
      version: buildInfo().version,
      upstreams,
      scrub: (text) => log?.secrets.scrub(text) ?? text,
      onExportError: (message) => log?.warn("otlp_export_failed", `Exporting spans to ${endpoint} failed: ${message}`, { endpoint, hint: "Check that the collector listens there (OTLP/HTTP, JSON)." }),
    });
    sinks.push(tracing.sink);
  }

  let listener: AdminListener | undefined;
  return {
    sinks,
    configLoaded: (config) => upstreams.update(config),
    start(services) {
      log = services.log;
      storeLocation = services.store.location;
      for (const value of tracing?.headerValues ?? []) log.secrets.add(value);
      if (tracing) log.info("tracing_enabled", `Exporting a span per proxied call to ${endpoint} (OTLP/HTTP).`, { endpoint });
      if (!admin || !metrics) return;
      if (admin.token) log.secrets.add(admin.token);
      const sink = metrics;
      try {
        listener = startAdminListener(admin, () => sink.scrape());
      } catch (err) {
        log.error("admin_listen_failed", `Cannot listen on ${admin.host}:${admin.port} for /metrics: ${(err as Error).message}`, { host: admin.host, port: admin.port, hint: "Pick another --admin-port, or stop the process using it." });
        throw err;
      }
      log.info("admin_listening", `Metrics on ${listener.url}/metrics${admin.token ? " (bearer token required)" : ""}.`, { url: listener.url, tokenRequired: admin.token !== undefined });
    },
    get adminUrl() {
      return listener?.url;
    },
    async stop() {
      await listener?.stop();
      await tracing?.shutdown();
    },
  };
}
