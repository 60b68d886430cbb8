import { FAULTS } from "./faults.ts";
import type { JsonRpcId } from "./jsonrpc.ts";

// The capability filter fails closed (issue 18): a list answer it cannot read (not JSON, e.g. Python's
// `NaN`), or that is larger than it reads (mcpgw.proxy.maxFilteredResponseBytes), is not passed on
// unfiltered. The client gets a JSON-RPC error for each list request instead: one error object for one
// request, an array for a batch (JSON-RPC 2.0 §6).

export type ListFailure = "upstream_bad_response" | "upstream_response_too_large";

/** The JSON text answering the list request ids with `reason`'s JSON-RPC error. */
export function listFailureText(reason: ListFailure, ids: ReadonlySet<JsonRpcId>, requestId: string, detail: string): string {
  const fault = FAULTS[reason];
  const errors = [...ids].map((id) => ({ jsonrpc: "2.0", id, error: { code: fault.code, message: fault.message, data: { reasonCode: reason, requestId, detail } } }));
  return JSON.stringify(errors.length === 1 ? errors[0] : errors);
}

/** A list answer as a whole JSON response with the fault's HTTP status (502: the upstream's answer is unusable). */
export function listFailureResponse(reason: ListFailure, ids: ReadonlySet<JsonRpcId>, requestId: string, detail: string): Response {
  return new Response(listFailureText(reason, ids, requestId, detail), { status: FAULTS[reason].httpStatus, headers: { "content-type": "application/json" } });
}
