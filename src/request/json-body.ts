import type { RequestBody } from "./context.ts";
import { inspectJsonShape, type JsonShapeLimits } from "../mcp/json-members.ts";
import type { JsonRpcId } from "../mcp/jsonrpc.ts";
import { BodyRefusedError } from "./body-refusal.ts";
import type { InFlightBytes } from "../http/in-flight-bytes.ts";

const utf8 = new TextDecoder();

/**
 * The body's JSON as the gateway will judge it, or a refusal. Depth and batch length are checked
 * before JSON.parse builds anything; a body JSON.parse rejects stays a parse error (-32700) even when
 * the scan found something; ambiguous members are refused after parsing only to answer with the id.
 */
export function parseJsonBody(bytes: Uint8Array<ArrayBuffer>, limits: JsonShapeLimits): RequestBody {
  if (bytes.byteLength === 0) return { bytes, json: undefined, parseError: "empty body" };
  const problem = inspectJsonShape(bytes, limits);
  if (problem && problem.kind !== "ambiguous_member") throw new BodyRefusedError(problem.kind === "too_deep" ? "json_too_deep" : "batch_too_large", null, problem.detail);
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch (err) {
    return { bytes, json: undefined, parseError: (err as Error).message };
  }
  if (problem) throw new BodyRefusedError("ambiguous_member", idOf(json), problem.detail);
  return { bytes, json };
}

function idOf(json: unknown): JsonRpcId {
  const id = typeof json === "object" && json !== null && !Array.isArray(json) ? (json as { id?: unknown }).id : undefined;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

/** Reserve `bytes` of the gateway-wide budget for reading a body, or refuse with 503 (retry shortly). */
export function reserveBodyBytes(inFlight: InFlightBytes, bytes: number, limit: number): void {
  if (!inFlight.tryReserve(bytes, limit)) {
    throw new BodyRefusedError("gateway_busy", null, `the gateway is already reading ${limit} bytes of request bodies (maxConcurrentBodyBytes)`);
  }
}
