import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type TextMapGetter, type TextMapSetter, type Tracer } from "@opentelemetry/api";
import { millisToHrTime, W3CTraceContextPropagator } from "@opentelemetry/core";
import { ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from "@opentelemetry/semantic-conventions";
import type { Completion } from "../../mcp/completion.ts";
import type { McpCall } from "../../mcp/jsonrpc.ts";
import type { GatewayEvent, GatewayEventType } from "../events.ts";
import type { ObserverSink } from "../observer.ts";
import type { RouteUpstreams } from "../route-upstreams.ts";

// OpenTelemetry spans as an observer sink: for each proxied call, a SERVER span from the request's
// arrival to the end of its answer, and under it a CLIENT span for the upstream call. Both are built
// from capability_invocation_started/completed, so the request path has no tracing code; with tracing
// off this sink does not exist and the started event is not even built (Observer.wants).
//
// No context manager: parents are passed explicitly (a context manager needs AsyncLocalStorage or zones,
// and the spans here never need the "current" span). The client's traceparent, already copied into the
// upstream headers, is the server span's parent; the upstream then gets the CLIENT span's traceparent
// (W3C Trace Context §3.2), as any instrumented HTTP client sends its own span.

export interface TraceSinkOptions {
  readonly tracer: Tracer;
  readonly upstreams: RouteUpstreams;
  /** Masks configured secrets in attribute values (the log's secret registry). */
  readonly scrub?: (text: string) => string;
  /** Calls in flight whose spans are held open; past it the oldest are ended as abandoned (default 10 000). */
  readonly maxOpen?: number;
}

interface OpenCall {
  readonly server: Span;
  readonly upstream: Span;
  /** Epoch ms minus performance.now() when the call started: one anchor for all four of its times. */
  readonly anchor: number;
}

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};
const headerSetter: TextMapSetter<Headers> = {
  set: (headers, key, value) => headers.set(key, value),
};

// OpenTelemetry semantic conventions for MCP (semconv gen-ai/mcp.md): still "development", so only in
// the package's unstable entry point; written out here rather than importing that 10 000-line module.
const MCP_METHOD = "mcp.method.name";
const TOOL_NAME = "gen_ai.tool.name";
const PROMPT_NAME = "gen_ai.prompt.name";
const RESOURCE_URI = "mcp.resource.uri";

export class TraceSink implements ObserverSink {
  private readonly open = new Map<string, OpenCall>();
  private readonly propagator = new W3CTraceContextPropagator();
  private readonly tracer: Tracer;
  private readonly upstreams: RouteUpstreams;
  private readonly scrub: (text: string) => string;
  private readonly maxOpen: number;

  constructor(options: TraceSinkOptions) {
    this.tracer = options.tracer;
    this.upstreams = options.upstreams;
    this.scrub = options.scrub ?? ((t) => t);
    this.maxOpen = options.maxOpen ?? 10_000;
  }

  wants(type: GatewayEventType): boolean {
    return type === "capability_invocation_started" || type === "capability_invocation_completed";
  }

  handle(event: GatewayEvent): void {
    if (event.type === "capability_invocation_started") this.started(event.scope.requestId, event.scope.startedAt, event.scope.fields.operationId, event.call, event.upstreamHeaders);
    else if (event.type === "capability_invocation_completed") this.completed(event.scope.requestId, event.completion);
  }

  /** How many calls have spans open (for tests of the bound). */
  get openCalls(): number {
    return this.open.size;
  }

  private started(requestId: string, startedAt: number, operationId: unknown, call: McpCall, headers: Headers | undefined): void {
    const parent = headers ? this.propagator.extract(ROOT_CONTEXT, headers, headerGetter) : ROOT_CONTEXT;
    const target = this.upstreams.of(operationId);
    const method = call.mcpMethod ?? call.kind;
    const attributes: Attributes = {
      [MCP_METHOD]: method,
      "mcpgw.route": typeof operationId === "string" ? operationId : undefined,
      "mcpgw.request_id": requestId,
      "mcpgw.message_kind": call.kind,
      ...this.capabilityAttributes(call),
    };
    // Every time is given, from performance.now() and one anchor per call: left to itself the SDK
    // anchors each span to Date.now() on its own (ms steps), and a child could start before its parent.
    const anchor = Date.now() - performance.now();
    const server = this.tracer.startSpan(spanName(method, call, this.scrub), { kind: SpanKind.SERVER, startTime: millisToHrTime(anchor + startedAt), attributes }, parent);
    const upstream = this.tracer.startSpan(
      "POST",
      {
        kind: SpanKind.CLIENT,
        startTime: millisToHrTime(anchor + performance.now()),
        attributes: { [ATTR_HTTP_REQUEST_METHOD]: "POST", [ATTR_SERVER_ADDRESS]: target.host, [ATTR_SERVER_PORT]: target.port, "mcpgw.upstream": target.label, [MCP_METHOD]: method },
      },
      trace.setSpan(ROOT_CONTEXT, server),
    );
    if (headers) this.propagator.inject(trace.setSpan(ROOT_CONTEXT, upstream), headers, headerSetter);
    if (this.open.size >= this.maxOpen) this.abandonOldest();
    this.open.set(requestId, { server, upstream, anchor });
  }

  private completed(requestId: string, c: Completion): void {
    const spans = this.open.get(requestId);
    if (!spans) return;
    const now = millisToHrTime(spans.anchor + performance.now());
    this.open.delete(requestId);
    const failed = c.outcome === "failure" || c.outcome === "partial" || c.outcome === "denied";
    spans.upstream.setAttributes({
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: c.upstreamStatus,
      "mcpgw.upstream.attempts": c.attempts ?? 1,
      "mcpgw.upstream_ms": c.upstreamMs,
    });
    if (failed && c.failureOrigin === "upstream") spans.upstream.setStatus({ code: SpanStatusCode.ERROR, ...(c.reasonCode ? { message: c.reasonCode } : {}) });
    spans.upstream.end(now);
    spans.server.setAttributes({
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: c.httpStatus,
      "mcpgw.outcome": c.outcome,
      "mcpgw.mcp_status": c.mcpStatus,
      [ATTR_ERROR_TYPE]: c.reasonCode ?? (c.jsonRpcErrorCode !== undefined ? String(c.jsonRpcErrorCode) : undefined),
    });
    if (failed) spans.server.setStatus({ code: SpanStatusCode.ERROR, ...(c.reasonCode ? { message: c.reasonCode } : {}) });
    spans.server.end(now);
  }

  /** The capability's name as the MCP conventions name it; resource URIs pass the secret scrubber. */
  private capabilityAttributes(call: McpCall): Attributes {
    const name = call.capabilityName;
    if (name === undefined) return {};
    if (call.mcpMethod === "tools/call") return { [TOOL_NAME]: this.scrub(name) };
    if (call.mcpMethod === "prompts/get") return { [PROMPT_NAME]: this.scrub(name) };
    return { [RESOURCE_URI]: this.scrub(name) };
  }

  /** A call whose completion never came (it cannot, by the observer's contract; this bounds memory if it did). */
  private abandonOldest(): void {
    const [requestId, spans] = this.open.entries().next().value!;
    this.open.delete(requestId);
    const now = millisToHrTime(spans.anchor + performance.now());
    for (const span of [spans.upstream, spans.server]) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: "abandoned: no completion was reported" });
      span.end(now);
    }
  }
}

/** `{mcp.method.name} {target}` (MCP semconv): the tool or prompt name; never a resource URI (unbounded). */
function spanName(method: string, call: McpCall, scrub: (text: string) => string): string {
  return (call.mcpMethod === "tools/call" || call.mcpMethod === "prompts/get") && call.capabilityName ? `${method} ${scrub(call.capabilityName)}` : method;
}
