import { faultResponse, FAULTS, type FaultReason } from "../mcp/faults.ts";
import type { JsonRpcId } from "../mcp/jsonrpc.ts";
import type { RequestContext } from "./context.ts";

/**
 * Refuse a request before it reaches the upstream: the mcp_request_rejected event, then the fault.
 * `id` is the request's JSON-RPC id when it could be read, else null.
 */
export function rejectWithFault(ctx: RequestContext, reason: FaultReason, id: JsonRpcId, extra?: Record<string, unknown>): Response {
  const fault = FAULTS[reason];
  ctx.observer.requestRejected(ctx, { httpStatus: fault.httpStatus, reasonCode: reason, failureOrigin: fault.origin, jsonRpcErrorCode: fault.code });
  return faultResponse(reason, id, ctx.requestId, extra);
}
