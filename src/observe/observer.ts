import type { Logger, LogFields } from "../log/logger.ts";
import type { Completion } from "../mcp/completion.ts";
import type { McpCall } from "../mcp/jsonrpc.ts";
import { rejectionOutcome, type AuthEventLevel, type EventScope, type GatewayEvent, type GatewayEventType, type Rejection } from "./events.ts";

/** Where events go. `wants` is asked once per type when the observer is built, so an event no sink wants costs nothing. */
export interface ObserverSink {
  wants(type: GatewayEventType): boolean;
  handle(event: GatewayEvent): void;
}

const TYPES: readonly GatewayEventType[] = ["mcp_request_accepted", "mcp_request_rejected", "capability_invocation_started", "capability_invocation_completed", "mcp_auth"];

/**
 * Hands each event to the sinks that want it. Built once per process by the composition root; adding a
 * sink (metrics, traces) touches neither the request path nor the code that reports events.
 */
export class Observer {
  private readonly byType: ReadonlyMap<GatewayEventType, readonly ObserverSink[]>;

  constructor(sinks: readonly ObserverSink[]) {
    this.byType = new Map(TYPES.map((t) => [t, sinks.filter((s) => s.wants(t))]));
  }

  /** Whether any sink takes `type`: callers skip building an event nobody reads. */
  wants(type: GatewayEventType): boolean {
    return this.byType.get(type)!.length > 0;
  }

  emit(event: GatewayEvent): void {
    for (const sink of this.byType.get(event.type)!) sink.handle(event);
  }

  requestAccepted(scope: EventScope, call: McpCall): void {
    if (this.wants("mcp_request_accepted")) this.emit({ type: "mcp_request_accepted", scope, call, latencyMs: performance.now() - scope.startedAt });
  }

  requestRejected(scope: EventScope, rejection: Rejection): void {
    if (!this.wants("mcp_request_rejected")) return;
    const classified = rejection.outcome === undefined ? { ...rejection, outcome: rejectionOutcome(rejection) } : rejection;
    this.emit({ type: "mcp_request_rejected", scope, rejection: classified, latencyMs: performance.now() - scope.startedAt });
  }

  /** Just before the upstream call; `upstreamHeaders` are the ones it will send (see the event). */
  invocationStarted(scope: EventScope, call: McpCall, upstreamHeaders?: Headers): void {
    if (this.wants("capability_invocation_started")) this.emit({ type: "capability_invocation_started", scope, call, ...(upstreamHeaders ? { upstreamHeaders } : {}) });
  }

  invocationCompleted(scope: EventScope, call: McpCall, completion: Completion): void {
    if (this.wants("capability_invocation_completed")) this.emit({ type: "capability_invocation_completed", scope, call, completion, latencyMs: performance.now() - scope.startedAt });
  }

  /** An event of the authorization server (mcp_auth_…), reported on the endpoint request's logger. */
  auth(log: Logger, level: AuthEventLevel, name: string, message: string, fields: LogFields = {}): void {
    if (this.wants("mcp_auth")) this.emit({ type: "mcp_auth", name, level, message, fields, log });
  }
}
