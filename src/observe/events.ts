import type { Logger, LogFields } from "../log/logger.ts";
import type { Completion } from "../mcp/completion.ts";
import type { FailureOrigin } from "../mcp/faults.ts";
import type { McpCall } from "../mcp/jsonrpc.ts";

// What the gateway reports as it works, as plain values handed to the observer (observer.ts), which
// passes them to its sinks: the JSON log stream today (log-sink.ts), metrics or traces tomorrow. Nothing
// here is rendered; a sink decides what to make of an event.
//
// Per request to an MCP route: mcp_request_accepted or mcp_request_rejected. Per proxied JSON-RPC POST:
// capability_invocation_started before the upstream call and capability_invocation_completed once the
// answer has fully passed through — exactly one, whatever retries happened inside the forward step.
// The authorization server reports mcp_auth_* events. Field meanings: docs/proxy.md#analytics-events.

/** The request an event belongs to. RequestContext is one; OAuth endpoints make their own. */
export interface EventScope {
  readonly requestId: string;
  readonly httpMethod: string;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** Dimensions every event of this request carries (operationId, subjectId, upstreamServerId…). */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The request's logger (bound to its operationId and requestId), for the log sink. */
  readonly log: Logger;
}

export interface Rejection {
  readonly httpStatus: number;
  readonly reasonCode: string;
  readonly failureOrigin: FailureOrigin;
  readonly jsonRpcErrorCode?: number;
  /** The policy that answered instead of the handler. */
  readonly rejectedBy?: string;
  /** The analytics outcome class; when absent, the observer fills in rejectionOutcome(). */
  readonly outcome?: RejectionOutcome;
}

/** Zuplo's analytics outcome classes (spec §5.3) that a request answered before the upstream can have (connect_required: the person must connect the upstream first). */
export type RejectionOutcome = "denied" | "failure" | "connect_required";

/**
 * Spec §5.3: `denied` is a request the route refused (401, 403; a rate limit's 429; any answer a policy
 * gave instead of the handler, such as the capability filter's). Anything else the gateway answers
 * itself (a body that is not JSON-RPC, too large, a method the route does not take) is a `failure`.
 */
export function rejectionOutcome(rejection: Pick<Rejection, "httpStatus" | "rejectedBy">): RejectionOutcome {
  const { httpStatus } = rejection;
  return httpStatus === 401 || httpStatus === 403 || httpStatus === 429 || rejection.rejectedBy !== undefined ? "denied" : "failure";
}

export type AuthEventLevel = "debug" | "info" | "warn" | "error";

export type GatewayEvent =
  | { readonly type: "mcp_request_accepted"; readonly scope: EventScope; readonly call: McpCall; readonly latencyMs: number }
  | { readonly type: "mcp_request_rejected"; readonly scope: EventScope; readonly rejection: Rejection; readonly latencyMs: number }
  | {
      readonly type: "capability_invocation_started";
      readonly scope: EventScope;
      readonly call: McpCall;
      /**
       * The headers the upstream request is about to carry. A tracing sink sets `traceparent` here (its
       * span becomes the upstream's parent); no other sink may change them.
       */
      readonly upstreamHeaders?: Headers;
    }
  | { readonly type: "capability_invocation_completed"; readonly scope: EventScope; readonly call: McpCall; readonly completion: Completion; readonly latencyMs: number }
  | {
      readonly type: "mcp_auth";
      /** The event's name, mcp_auth_…, as the log stream and dashboards know it. */
      readonly name: string;
      readonly level: AuthEventLevel;
      readonly message: string;
      readonly fields: LogFields;
      /** The logger of the endpoint's request. */
      readonly log: Logger;
    };

export type GatewayEventType = GatewayEvent["type"];
