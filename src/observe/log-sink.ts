import { writeRenderedInfo, type Logger } from "../log/logger.ts";
import { isSecretKey, REDACTED, redactFields, type SecretRegistry } from "../log/redact.ts";
import type { Completion } from "../mcp/completion.ts";
import type { McpCall } from "../mcp/jsonrpc.ts";
import { rejectionOutcome, type EventScope, type GatewayEvent, type GatewayEventType, type Rejection } from "./events.ts";
import type { ObserverSink } from "./observer.ts";

// The JSON log stream as an observer sink: each event becomes one line on the request's logger, with
// `event` naming it. Field meanings: docs/proxy.md#analytics-events.

export const TRANSPORT = "streamable-http";

const round = (ms: number) => Math.round(ms * 1000) / 1000;

// Each line spreads the scope's fields and then sets operationId to undefined: the request logger
// already binds operationId, and an undefined member is left out of the line, so no key appears twice.

// Levels: at the default `info` a proxied call writes ONE line, capability_invocation_completed, which
// carries everything the others do plus the outcome and latencies (and rejections write
// mcp_request_rejected). The per-request "accepted" and "started" lines are `debug`: measured, three
// lines per call cost about half of the gateway's CPU per request (docs/performance.md).
const LEVEL_OF: Record<Exclude<GatewayEventType, "mcp_auth">, "debug" | "info"> = {
  mcp_request_accepted: "debug",
  mcp_request_rejected: "info",
  capability_invocation_started: "debug",
  capability_invocation_completed: "info",
};

export class LogSink implements ObserverSink {
  /** `log` is the process's root logger: its level decides which events are wanted at all. */
  constructor(private readonly log: Logger) {}

  wants(type: GatewayEventType): boolean {
    return type === "mcp_auth" || this.log.enabled(LEVEL_OF[type]);
  }

  handle(event: GatewayEvent): void {
    switch (event.type) {
      case "mcp_request_accepted":
        return requestAccepted(event.scope, event.call, event.latencyMs);
      case "mcp_request_rejected":
        return requestRejected(event.scope, event.rejection, event.latencyMs);
      case "capability_invocation_started":
        return invocationStarted(event.scope, event.call);
      case "capability_invocation_completed":
        return invocationCompleted(event.scope, event.call, event.completion, event.latencyMs);
      case "mcp_auth":
        return event.log[event.level](event.name, event.message, event.fields);
    }
  }
}

function requestAccepted(scope: EventScope, call: McpCall, latencyMs: number): void {
  scope.log.debug("mcp_request_accepted", `accepted ${call.mcpMethod ?? call.kind}`, {
    ...scope.fields,
    operationId: undefined,
    httpMethod: scope.httpMethod,
    transport: TRANSPORT,
    mcpMethod: call.mcpMethod,
    latencyMs: round(latencyMs),
  });
}

function requestRejected(scope: EventScope, rejection: Rejection, latencyMs: number): void {
  scope.log.info("mcp_request_rejected", `rejected with ${rejection.httpStatus}: ${rejection.reasonCode}`, {
    ...scope.fields,
    operationId: undefined,
    httpMethod: scope.httpMethod,
    transport: TRANSPORT,
    outcome: rejection.outcome ?? rejectionOutcome(rejection),
    httpStatus: rejection.httpStatus,
    reasonCode: rejection.reasonCode,
    failureOrigin: rejection.failureOrigin,
    jsonRpcErrorCode: rejection.jsonRpcErrorCode,
    rejectedBy: rejection.rejectedBy,
    latencyMs: round(latencyMs),
  });
}

/** `tools/call add`: the call as the event message names it. */
const callLabel = (call: McpCall) => `${call.mcpMethod ?? call.kind}${call.capabilityName ? ` ${call.capabilityName}` : ""}`;

function invocationStarted(scope: EventScope, call: McpCall): void {
  scope.log.debug("capability_invocation_started", callLabel(call), {
    ...scope.fields,
    operationId: undefined,
    mcpMethod: call.mcpMethod,
    capabilityName: call.capabilityName,
    clientName: call.clientName,
    messageKind: call.kind,
    batchSize: call.batchSize,
  });
}

function invocationCompleted(scope: EventScope, call: McpCall, completion: Completion, latencyMs: number): void {
  const log = scope.log;
  writeRenderedInfo(log, "capability_invocation_completed", `${callLabel(call)} → ${completion.outcome}`, completedMembers(log.secrets, scope.fields, call, completion, latencyMs));
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
  "upstreamAttempts",
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
    num("upstreamMs", round(c.upstreamMs)) +
    num("upstreamAttempts", c.attempts)
  );
}
