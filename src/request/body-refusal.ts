import type { JsonRpcId } from "../mcp/jsonrpc.ts";
import { rejectWithFault } from "./reject.ts";

/** Why a request body is refused before any policy or handler sees it; each is a fault in src/mcp/faults.ts. */
export type BodyRefusalReason = "json_too_deep" | "batch_too_large" | "ambiguous_member" | "gateway_busy";

/**
 * Thrown by ctx.body(): nobody gets to judge a body that decoders would read differently, or that is
 * too costly to parse, so no policy can forget to check. The pipeline answers it as a JSON-RPC error.
 */
export class BodyRefusedError extends Error {
  constructor(
    readonly reason: BodyRefusalReason,
    readonly id: JsonRpcId,
    readonly detail: string,
  ) {
    super(`request body refused (${reason}): ${detail}`);
    this.name = "BodyRefusedError";
  }
}

/** The refusal as the client sees it: a JSON-RPC error; a busy gateway adds Retry-After (RFC 9110 §10.2.3). */
export function refuseBody(ctx: Parameters<typeof rejectWithFault>[0], err: BodyRefusedError): Response {
  const response = rejectWithFault(ctx, err.reason, err.id, { detail: err.detail });
  if (err.reason === "gateway_busy") response.headers.set("retry-after", "1");
  return response;
}
