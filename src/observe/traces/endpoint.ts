// Whether traces are exported, and where: decided from the standard OTEL_* environment variables
// (opentelemetry.io/docs/specs/otel/protocol/exporter/), without loading the OpenTelemetry SDK.

type Env = Record<string, string | undefined>;

/**
 * Where spans go, from the environment; undefined when tracing is off. OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 * is used as is; OTEL_EXPORTER_OTLP_ENDPOINT gets `/v1/traces` appended (OTLP exporter spec,
 * "Endpoint URLs for OTLP/HTTP"). OTEL_SDK_DISABLED=true or an OTEL_TRACES_EXPORTER without "otlp" turn it off.
 */
export function otlpTracesEndpoint(env: Env): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  const exporters = env.OTEL_TRACES_EXPORTER?.split(",").map((e) => e.trim().toLowerCase());
  if (exporters && exporters.length > 0 && exporters[0] !== "" && !exporters.includes("otlp")) return undefined;
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (signal) return signal;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!base) return undefined;
  return `${base.replace(/\/+$/, "")}/v1/traces`;
}
