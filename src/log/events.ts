import type { RequestContext } from "../gateway/context.ts";
import type { FailureOrigin } from "../mcp/faults.ts";
import type { McpCall } from "../mcp/jsonrpc.ts";
import { isSecretKey, REDACTED, redactFields, type SecretRegistry } from "./redact.ts";

// Analytics events (spec §5.1): one JSON log line each on the request's logger, with `event` naming
// it. Per request: mcp_request_accepted or mcp_request_rejected. Per proxied JSON-RPC POST:
// capability_invocation_started before the upstream fetch and capability_invocation_completed when the
// upstream's answer has fully passed through. Field meanings: docs/proxy.md#analytics-events.

export const TRANSPORT = "streamable-http";

/** How the call ended, for dashboards (spec §5.3, defined precisely in docs/proxy.md#outcome). */
export type Outcome = "success" | "application_error" | "failure" | "denied" | "cancelled" | "partial" | "redirected";

/**
 * What JSON-RPC answer the client got: "result", "tool_error" (a result with isError: true), "error"
 * (a JSON-RPC error object, from the upstream or the gateway), "accepted" (202 for a notification or
 * response), or "none" (no JSON-RPC answer: a redirect, a cut stream, a cancelled call).
 */
export type McpStatus = "result" | "tool_error" | "error" | "accepted" | "none";

export interface Completion {
  readonly outcome: Outcome;
  readonly mcpStatus: McpStatus;
  /** Status the gateway answered the client with. */
  readonly httpStatus: number;
  readonly upstreamStatus?: number;
  /** The upstream's Content-Type when it was not one MCP allows. */
  readonly upstreamContentType?: string;
  readonly failureOrigin?: FailureOrigin;
  readonly reasonCode?: string;
  readonly jsonRpcErrorCode?: number;
  /** "json", "sse", "empty" or "other": the shape of the upstream's body. */
  readonly responseType?: string;
  /** Events an SSE response carried. */
  readonly sseEvents?: number;
  /** The network error behind a failure, for operators (never sent to the client). */
  readonly upstreamError?: string;
  /** From sending the request upstream to the end of the upstream's body. */
  readonly upstreamMs: number;
}

export interface Rejection {
  readonly httpStatus: number;
  readonly reasonCode: string;
  readonly failureOrigin: FailureOrigin;
  readonly jsonRpcErrorCode?: number;
  /** The policy that answered instead of the handler. */
  readonly rejectedBy?: string;
}

export type EventContext = Pick<RequestContext, "log" | "fields" | "startedAt" | "request">;

const round = (ms: number) => Math.round(ms * 1000) / 1000;

// Each event spreads ctx.fields and then sets operationId to undefined: the request logger already binds
// operationId, and an undefined member is left out of the line, so no key appears twice (one copy of the
// fields instead of two).

// Levels: at the default `info` a proxied call writes ONE line, capability_invocation_completed, which
// carries everything the others do plus the outcome and latencies (and rejections write
// mcp_request_rejected). The per-request "accepted" and "started" lines are `debug`: measured, three
// lines per call cost about half of the gateway's CPU per request (docs/performance.md).

export function requestAccepted(ctx: EventContext, call: McpCall): void {
  if (!ctx.log.enabled("debug")) return;
  ctx.log.debug("mcp_request_accepted", `accepted ${call.mcpMethod ?? call.kind}`, {
    ...ctx.fields,
    operationId: undefined,
    httpMethod: ctx.request.method,
    transport: TRANSPORT,
    mcpMethod: call.mcpMethod,
    latencyMs: round(performance.now() - ctx.startedAt),
  });
}

export function requestRejected(ctx: EventContext, rejection: Rejection): void {
  if (!ctx.log.enabled("info")) return;
  ctx.log.info("mcp_request_rejected", `rejected with ${rejection.httpStatus}: ${rejection.reasonCode}`, {
    ...ctx.fields,
    operationId: undefined,
    httpMethod: ctx.request.method,
    transport: TRANSPORT,
    ...rejection,
    latencyMs: round(performance.now() - ctx.startedAt),
  });
}

/** `tools/call add`: the call as the event message names it. */
const callLabel = (call: McpCall) => `${call.mcpMethod ?? call.kind}${call.capabilityName ? ` ${call.capabilityName}` : ""}`;

/** The dimensions both invocation events carry (operationId is bound on the request logger already). */
function callFields(ctx: EventContext, call: McpCall) {
  return { ...ctx.fields, operationId: undefined, mcpMethod: call.mcpMethod, capabilityName: call.capabilityName, clientName: call.clientName, messageKind: call.kind };
}

export function invocationStarted(ctx: EventContext, call: McpCall): void {
  if (!ctx.log.enabled("debug")) return;
  ctx.log.debug("capability_invocation_started", callLabel(call), { ...callFields(ctx, call), batchSize: call.batchSize });
}

export function invocationCompleted(ctx: EventContext, call: McpCall, completion: Completion): void {
  if (!ctx.log.enabled("info")) return;
  const latencyMs = performance.now() - ctx.startedAt;
  ctx.log.infoMembers("capability_invocation_completed", `${callLabel(call)} → ${completion.outcome}`, completedMembers(ctx.log.secrets, ctx.fields, call, completion, latencyMs));
}

/** The members capability_invocation_completed sets itself; a same-named request field yields to them. */
const COMPLETED_KEYS: ReadonlySet<string> = new Set([
  "operationId",
  "mcpMethod",
  "capabilityName",
  "clientName",
  "messageKind",
  "outcome",
  "mcpStatus",
  "httpStatus",
  "upstreamStatus",
  "upstreamContentType",
  "failureOrigin",
  "reasonCode",
  "jsonRpcErrorCode",
  "responseType",
  "sseEvents",
  "upstreamError",
  "latencyMs",
  "gatewayMs",
  "upstreamMs",
]);

const num = (key: string, value: number | undefined) => (value === undefined ? "" : `,"${key}":${Number.isFinite(value) ? String(value) : "null"}`);

/**
 * The fields of capability_invocation_completed as JSON members, written field by field. Measured, the
 * generic renderer (a for…in over an object built by spreads, then a scrub of the whole line) cost
 * several µs per call in the running gateway, where every log call site has its own object shape; this
 * one always sees the same shapes, and takes its string values scrubbed and quoted from the secret
 * registry's memo. The same fields as before: the request's fields (ctx.fields, but operationId, which
 * the request logger binds), the call, the completion, and the latencies rounded to µs.
 */
export function completedMembers(secrets: SecretRegistry, fields: Readonly<Record<string, unknown>>, call: McpCall, c: Completion, latencyMs: number): string {
  const str = (key: string, value: string | undefined) => (value === undefined ? "" : `,"${key}":${secrets.literal(value)}`);
  let extra = "";
  for (const key in fields) {
    if (COMPLETED_KEYS.has(key)) continue;
    const value = fields[key];
    if (value === undefined) continue;
    if (isSecretKey(key)) extra += `,${JSON.stringify(key)}:"${REDACTED}"`;
    else if (typeof value === "string") extra += `,${JSON.stringify(key)}:${secrets.literal(value)}`;
    // A policy's field is normally a string; anything else is still written, key-redacted and scrubbed.
    else extra += `,${JSON.stringify(key)}:${secrets.scrub(JSON.stringify(redactFields(value)) ?? "null")}`;
  }
  return (
    extra +
    str("mcpMethod", call.mcpMethod) +
    str("capabilityName", call.capabilityName) +
    str("clientName", call.clientName) +
    str("messageKind", call.kind) +
    str("outcome", c.outcome) +
    str("mcpStatus", c.mcpStatus) +
    num("httpStatus", c.httpStatus) +
    num("upstreamStatus", c.upstreamStatus) +
    str("upstreamContentType", c.upstreamContentType) +
    str("failureOrigin", c.failureOrigin) +
    str("reasonCode", c.reasonCode) +
    num("jsonRpcErrorCode", c.jsonRpcErrorCode) +
    str("responseType", c.responseType) +
    num("sseEvents", c.sseEvents) +
    str("upstreamError", c.upstreamError) +
    num("latencyMs", round(latencyMs)) +
    num("gatewayMs", round(latencyMs - c.upstreamMs)) +
    num("upstreamMs", round(c.upstreamMs))
  );
}
