import { parseKeyPairsIntoRecord, setGlobalErrorHandler } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { RouteUpstreams } from "../route-upstreams.ts";
import { TraceSink } from "./trace-sink.ts";

// OTLP/HTTP trace export, configured the way every OpenTelemetry SDK is: by the OTEL_* environment
// variables (opentelemetry.io/docs/specs/otel/protocol/exporter/). Loaded only when endpoint.ts finds
// an endpoint: a gateway without tracing never loads the SDK.

type Env = Record<string, string | undefined>;

export interface OtlpTracingOptions {
  readonly endpoint: string;
  readonly env: Env;
  readonly version: string;
  readonly upstreams: RouteUpstreams;
  readonly scrub: (text: string) => string;
  /** Told when an export fails (the collector is down, refuses, times out). */
  readonly onExportError: (message: string) => void;
}

export interface OtlpTracing {
  readonly sink: TraceSink;
  /** The OTEL_EXPORTER_OTLP_*HEADERS values (collector API keys): for the log's secret registry. */
  readonly headerValues: readonly string[];
  /** Sends what is buffered now. */
  forceFlush(): Promise<void>;
  /** Flushes and stops the exporter; called when the gateway stops. */
  shutdown(): Promise<void>;
}

/**
 * The tracer provider, batch processor and OTLP/HTTP (JSON) exporter behind a TraceSink. Spans are
 * batched and sent in the background (every OTEL_BSP_SCHEDULE_DELAY ms, 5 s by default), never on the
 * request's time. No global tracer provider or context manager is registered.
 */
export function createOtlpTracing(options: OtlpTracingOptions): OtlpTracing {
  const { env } = options;
  const headers = { ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_HEADERS), ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) };
  const exporter = new OTLPTraceExporter({ url: options.endpoint, headers });
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY);
  const processor = new BatchSpanProcessor({ exporter, ...(delay > 0 ? { scheduledDelayMillis: delay } : {}) });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME?.trim() || "mcpgw", [ATTR_SERVICE_VERSION]: options.version }),
    spanProcessors: [processor],
  });
  // The SDK reports export failures to its global error handler, which by default logs nowhere.
  setGlobalErrorHandler((err) => options.onExportError(err instanceof Error ? err.message : String(err)));
  const sink = new TraceSink({ tracer: provider.getTracer("mcpgw", options.version), upstreams: options.upstreams, scrub: options.scrub });
  return {
    sink,
    headerValues: Object.values(headers),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
