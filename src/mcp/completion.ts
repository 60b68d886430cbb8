import type { FailureOrigin } from "./faults.ts";

// How one proxied call ended, as the forward step reports it (and the observer passes on).
// Field meanings: docs/proxy.md#analytics-events.

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
  /** Upstream attempts for this one client request (2 after a credential retry). */
  readonly attempts?: number;
}
