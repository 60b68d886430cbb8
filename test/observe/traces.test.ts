import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { createLogger } from "../../src/log/logger.ts";
import { RouteUpstreams } from "../../src/observe/route-upstreams.ts";
import { otlpTracesEndpoint } from "../../src/observe/traces/endpoint.ts";
import { TraceSink } from "../../src/observe/traces/trace-sink.ts";
import { policy, postRpc, startGateway, type GatewayUnderTest } from "../helpers/gateway.ts";
import { mcpRoute, routesDoc } from "../helpers/project.ts";
import { startSdkUpstream, type SdkUpstream } from "../helpers/upstreams.ts";

// OTLP trace export end to end: a real gateway (serve()) with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a
// collector stub (a loopback HTTP listener that decodes the OTLP/HTTP JSON export), in front of the MCP
// SDK's server, which records the traceparent it receives. Spans are flushed when the gateway stops.

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttribute[];
  status: { code?: number; message?: string };
}
interface ExportRequest {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[];
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const SECRET = "sk-live-4f9a0c2e7b1d4e6f8a3c5b7d9e1f2a4c";

const attr = (span: OtlpSpan, key: string) => {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : (v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue)));
};

let collectorRequests: { path: string; contentType: string | null; body: string }[];
let collector: ReturnType<typeof Bun.serve>;
let upstream: SdkUpstream;
let gw: GatewayUnderTest;
let spans: OtlpSpan[];
let resource: OtlpAttribute[];

const clientTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const clientParentId = "00f067aa0ba902b7";

beforeAll(async () => {
  collectorRequests = [];
  collector = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      collectorRequests.push({ path: new URL(request.url).pathname, contentType: request.headers.get("content-type"), body: await request.text() });
      return Response.json({});
    },
  });
  upstream = startSdkUpstream({ stateful: false, json: true });
  gw = await startGateway({
    routes: routesDoc({ "/mcp/traced": { "get,post": mcpRoute("traced-server", upstream.url, ["api-key"]) } }),
    policies: { policies: [policy("api-key", "set-upstream-api-key-inbound", "SetUpstreamApiKeyInboundPolicy", { value: "Bearer $env(UPSTREAM_API_KEY)" })] },
    env: { UPSTREAM_API_KEY: SECRET, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}/`, OTEL_SERVICE_NAME: "mcpgw-under-test" },
  });
  const url = `${gw.url}/mcp/traced`;
  const traced = await postRpc(url, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "add", arguments: { a: 1, b: 2 } } }, { traceparent: `00-${clientTraceId}-${clientParentId}-01`, tracestate: "vendor=opaque" });
  expect(traced.status).toBe(200);
  await traced.text();
  const untraced = await postRpc(url, { jsonrpc: "2.0", id: 2, method: "tools/list" });
  await untraced.text();
  // A tool named like the configured secret: the name reaches the span only scrubbed.
  const secretName = await postRpc(url, { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: SECRET, arguments: {} } });
  await secretName.text();
  // Stopping flushes the batch processor: every span is exported by the time stop() resolves.
  await gw.stop();
  const exports = collectorRequests.map((r) => JSON.parse(r.body) as ExportRequest);
  spans = exports.flatMap((e) => e.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
  resource = exports[0]!.resourceSpans[0]!.resource.attributes;
});
afterAll(() => {
  upstream.stop();
  void collector.stop(true);
});

const serverSpans = () => spans.filter((s) => s.kind === SPAN_KIND_SERVER);
const childOf = (parent: OtlpSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);

describe("OTLP trace export", () => {
  it("posts OTLP/HTTP JSON to {OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces, as the named service", () => {
    expect(collectorRequests.length).toBeGreaterThan(0);
    for (const r of collectorRequests) {
      expect(r.path).toBe("/v1/traces");
      expect(r.contentType).toBe("application/json");
    }
    expect(resource.find((a) => a.key === "service.name")?.value.stringValue).toBe("mcpgw-under-test");
    expect(resource.find((a) => a.key === "service.version")?.value.stringValue).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("exports one server span per proxied call, each with exactly one client span for the upstream call", () => {
    expect(serverSpans()).toHaveLength(3);
    expect(spans).toHaveLength(6);
    for (const server of serverSpans()) {
      const children = childOf(server);
      expect(children).toHaveLength(1);
      expect(children[0]!.kind).toBe(SPAN_KIND_CLIENT);
      expect(children[0]!.traceId).toBe(server.traceId);
      const [start, end] = [BigInt(server.startTimeUnixNano), BigInt(server.endTimeUnixNano)];
      expect(BigInt(children[0]!.startTimeUnixNano) >= start && BigInt(children[0]!.endTimeUnixNano) <= end).toBe(true);
    }
  });

  it("continues the client's trace, and hands the upstream the client span as its parent", () => {
    const server = serverSpans().find((s) => s.name === "tools/call add")!;
    expect(server.traceId).toBe(clientTraceId);
    expect(server.parentSpanId).toBe(clientParentId);
    const client = childOf(server)[0]!;
    const received = upstream.received.find((r) => r.body.includes('"add"'))!;
    expect(received.headers.get("traceparent")).toBe(`00-${clientTraceId}-${client.spanId}-01`);
    expect(received.headers.get("tracestate")).toBe("vendor=opaque");
  });

  it("starts a new trace for a call without traceparent, still propagated upstream", () => {
    const server = serverSpans().find((s) => s.name === "tools/list")!;
    expect(server.parentSpanId ?? "").toBe("");
    expect(server.traceId).not.toBe(clientTraceId);
    const client = childOf(server)[0]!;
    const received = upstream.received.find((r) => r.body.includes("tools/list"))!;
    expect(received.headers.get("traceparent")).toBe(`00-${server.traceId}-${client.spanId}-01`);
  });

  it("carries the MCP method, the capability and the outcome as attributes", () => {
    const server = serverSpans().find((s) => s.name === "tools/call add")!;
    expect(attr(server, "mcp.method.name")).toBe("tools/call");
    expect(attr(server, "gen_ai.tool.name")).toBe("add");
    expect(attr(server, "mcpgw.route")).toBe("traced-server");
    expect(attr(server, "mcpgw.outcome")).toBe("success");
    expect(attr(server, "http.response.status_code")).toBe(200);
    const client = childOf(server)[0]!;
    expect(client.name).toBe("POST");
    expect(attr(client, "server.address")).toBe("127.0.0.1");
    expect(attr(client, "server.port")).toBe(Number(new URL(upstream.url).port));
    expect(attr(client, "http.response.status_code")).toBe(200);
  });

  it("exports no secret: not the upstream key, not a capability name that equals it", () => {
    // The upstream did get the key, so it was in play during these calls.
    expect(upstream.received.every((r) => r.headers.get("authorization") === `Bearer ${SECRET}`)).toBe(true);
    for (const r of collectorRequests) expect(r.body).not.toContain(SECRET);
    const scrubbed = serverSpans().find((s) => s.name.startsWith("tools/call [redacted]"));
    expect(scrubbed && attr(scrubbed, "gen_ai.tool.name")).toBe("[redacted]");
  });
});

describe("tracing configuration", () => {
  it("is off unless an OTLP endpoint is set, and can be switched off the standard ways", () => {
    expect(otlpTracesEndpoint({})).toBeUndefined();
    expect(otlpTracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBe("http://c:4318/v1/traces");
    expect(otlpTracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t/x" })).toBe("http://t/x");
    expect(otlpTracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_TRACES_EXPORTER: "none" })).toBeUndefined();
    expect(otlpTracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" })).toBeUndefined();
  });

  it("leaves the client's traceparent untouched when tracing is off", async () => {
    const plain = startSdkUpstream({ stateful: false, json: true });
    const off = await startGateway({ routes: routesDoc({ "/mcp/plain": { "get,post": mcpRoute("plain", plain.url) } }) });
    try {
      const sent = `00-${clientTraceId}-${clientParentId}-01`;
      await (await postRpc(`${off.url}/mcp/plain`, { jsonrpc: "2.0", id: 1, method: "tools/list" }, { traceparent: sent })).text();
      expect(plain.received[0]!.headers.get("traceparent")).toBe(sent);
    } finally {
      await off.stop();
      plain.stop();
    }
  });
});

describe("TraceSink", () => {
  it("holds at most maxOpen calls open, ending the oldest as abandoned", () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const sink = new TraceSink({ tracer: provider.getTracer("t"), upstreams: new RouteUpstreams(), maxOpen: 2 });
    const log = createLogger({ level: "silent" });
    const call = { kind: "request", id: 1, mcpMethod: "tools/list", capabilityName: undefined, clientName: undefined } as const;
    for (const requestId of ["r1", "r2", "r3"]) sink.handle({ type: "capability_invocation_started", scope: { requestId, httpMethod: "POST", startedAt: performance.now(), fields: {}, log }, call, upstreamHeaders: new Headers() });
    expect(sink.openCalls).toBe(2);
    const ended = exporter.getFinishedSpans();
    expect(ended).toHaveLength(2);
    expect(ended.every((s) => s.attributes["mcpgw.request_id"] === "r1" || s.parentSpanContext !== undefined)).toBe(true);
    expect(ended.every((s) => s.status.message === "abandoned: no completion was reported")).toBe(true);
  });
});
