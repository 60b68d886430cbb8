import { errorResponseText, type JsonRpcId } from "./jsonrpc.ts";

// Every failure the gateway itself produces on an MCP route, as a JSON-RPC error with the request's id
// (never an HTML page or a stack trace). -32700/-32600/-32603 are JSON-RPC's own codes; the rest sit
// in the implementation-defined server-error range -32000..-32099 (JSON-RPC 2.0 §5.1), in a block
// (-32079..-32089) clear of the codes MCP and its SDKs already use (-32000, -32001, -32002, -32042).
// docs/proxy.md#error-codes is the table users read; keep the two in step.

export type FailureOrigin = "gateway" | "upstream" | "client";

export interface Fault {
  readonly code: number;
  readonly httpStatus: number;
  readonly origin: FailureOrigin;
  readonly message: string;
}

export const FAULTS = {
  parse_error: { code: -32700, httpStatus: 400, origin: "client", message: "Parse error: the request body is not valid JSON." },
  invalid_request: { code: -32600, httpStatus: 400, origin: "client", message: "Invalid Request: the body is not a JSON-RPC 2.0 message." },
  request_too_large: { code: -32080, httpStatus: 413, origin: "client", message: "The request body is larger than this gateway accepts." },
  upstream_unreachable: { code: -32081, httpStatus: 502, origin: "upstream", message: "The gateway could not reach the upstream MCP server." },
  upstream_connect_timeout: { code: -32082, httpStatus: 504, origin: "upstream", message: "The upstream MCP server did not accept a connection in time." },
  upstream_timeout: { code: -32083, httpStatus: 504, origin: "upstream", message: "The upstream MCP server did not answer in time." },
  upstream_sse_idle_timeout: { code: -32084, httpStatus: 504, origin: "upstream", message: "The upstream MCP server's event stream went silent for too long." },
  upstream_stream_incomplete: { code: -32085, httpStatus: 502, origin: "upstream", message: "The upstream MCP server ended its event stream without answering the request." },
  upstream_bad_response: { code: -32086, httpStatus: 502, origin: "upstream", message: "The upstream MCP server sent a response that is not MCP (Streamable HTTP JSON or event stream)." },
  upstream_auth_refused: { code: -32087, httpStatus: 502, origin: "upstream", message: "The upstream MCP server refused the gateway's credentials for it." },
  // Refused before any policy reads the body (issue 18; src/mcp/json-members.ts, src/request/json-body.ts).
  ambiguous_member: { code: -32600, httpStatus: 400, origin: "client", message: "Invalid Request: the body has duplicate member names, or names that differ only by case, which JSON decoders read differently." },
  json_too_deep: { code: -32600, httpStatus: 400, origin: "client", message: "Invalid Request: the JSON nests deeper than this gateway accepts." },
  batch_too_large: { code: -32600, httpStatus: 400, origin: "client", message: "Invalid Request: the batch carries more messages than this gateway accepts." },
  unsupported_media_type: { code: -32600, httpStatus: 415, origin: "client", message: "Invalid Request: an MCP POST must have Content-Type: application/json." },
  gateway_busy: { code: -32088, httpStatus: 503, origin: "gateway", message: "The gateway is reading too many request bodies at once; retry shortly." },
  upstream_response_too_large: { code: -32089, httpStatus: 502, origin: "upstream", message: "The upstream MCP server's list answer is larger than the capability filter reads." },
  rate_limited: { code: -32079, httpStatus: 429, origin: "client", message: "Too many requests: a rate limit of this route is reached; retry after the Retry-After delay." },
  internal_error: { code: -32603, httpStatus: 500, origin: "gateway", message: "Internal error: the gateway failed while handling this request." },
} as const satisfies Record<string, Fault>;

export type FaultReason = keyof typeof FAULTS;

const JSON_HEADERS = { "content-type": "application/json" } as const;
const encoder = new TextEncoder();

/** The `error.data` of a gateway fault: a greppable reasonCode, the request id for the log, and specifics. */
function faultData(reason: FaultReason, requestId: string, extra: Record<string, unknown> | undefined): Record<string, unknown> {
  return { reasonCode: reason, requestId, ...extra };
}

/** A gateway fault as an HTTP response: JSON-RPC error body with the fault's HTTP status. */
export function faultResponse(reason: FaultReason, id: JsonRpcId, requestId: string, extra?: Record<string, unknown>): Response {
  const fault = FAULTS[reason];
  return new Response(errorResponseText(id, fault.code, fault.message, faultData(reason, requestId, extra)), { status: fault.httpStatus, headers: JSON_HEADERS });
}

/**
 * A gateway fault as one SSE `message` event, for when the upstream's 200 event stream is already on
 * its way to the client and the status can no longer change: the client still gets an answer to its id.
 */
export function faultEvent(reason: FaultReason, id: JsonRpcId, requestId: string): Uint8Array {
  const fault = FAULTS[reason];
  // The upstream may have stopped mid-event (issue 18's fault storm: a dripping upstream): the blank
  // line first ends whatever it left open, so the error is an event of its own that the client can
  // parse. At an event boundary a blank line dispatches nothing (WHATWG HTML §9.2.6).
  return encoder.encode(`\n\nevent: message\ndata: ${errorResponseText(id, fault.code, fault.message, faultData(reason, requestId, undefined))}\n\n`);
}
