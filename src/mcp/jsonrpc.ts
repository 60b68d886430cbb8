// JSON-RPC 2.0 (jsonrpc.org/specification) as MCP carries it over Streamable HTTP: what the gateway
// reads from a POST body that policies have already parsed once (ctx.body()). Nothing is re-serialized;
// the upstream receives the original bytes.

export type JsonRpcId = string | number | null;

/** What one POST body asks for, as far as routing, errors and analytics need to know. */
export interface McpCall {
  /** A request expects a response; notifications and responses are acknowledged with 202 (Streamable HTTP). */
  readonly kind: "request" | "notification" | "response" | "batch";
  /** The id to answer with; null for notifications, responses and batches. */
  readonly id: JsonRpcId;
  /** JSON-RPC method; "batch" for a 2025-03-26 batch array, undefined for a client's response. */
  readonly mcpMethod: string | undefined;
  /** tools/call and prompts/get: params.name; resources/read: params.uri. */
  readonly capabilityName: string | undefined;
  /** initialize: params.clientInfo.name. Stateless requests carry it only on initialize. */
  readonly clientName: string | undefined;
  readonly batchSize?: number;
}

export type CallReading =
  | { readonly ok: true; readonly call: McpCall }
  | { readonly ok: false; readonly reason: "parse_error" | "invalid_request"; readonly id: JsonRpcId; readonly detail: string };

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is string | number => typeof v === "string" || typeof v === "number";

function stringParam(params: unknown, key: string): string | undefined {
  if (!isObject(params)) return undefined;
  const value = params[key];
  return typeof value === "string" ? value : undefined;
}

function capabilityOf(method: string, params: unknown): string | undefined {
  if (method === "tools/call" || method === "prompts/get") return stringParam(params, "name");
  if (method === "resources/read") return stringParam(params, "uri");
  return undefined;
}

function clientNameOf(method: string, params: unknown): string | undefined {
  if (method !== "initialize" || !isObject(params)) return undefined;
  return stringParam(params.clientInfo, "name");
}

/** Why one message object is not a JSON-RPC 2.0 request, notification or response (undefined if it is one). */
function messageProblem(m: unknown): string | undefined {
  if (!isObject(m)) return "a JSON-RPC message must be a JSON object";
  if (m.jsonrpc !== "2.0") return 'the "jsonrpc" member must be exactly "2.0"';
  if ("method" in m) {
    if (typeof m.method !== "string") return 'the "method" member must be a string';
    if ("id" in m && !isId(m.id)) return 'a request "id" must be a string or a number (MCP forbids null)';
    return undefined;
  }
  if (!("id" in m) || ("result" in m) === ("error" in m)) return 'a message needs a "method" (request or notification), or an "id" with exactly one of "result" and "error" (response)';
  return undefined;
}

function single(m: JsonObject): McpCall {
  if (typeof m.method !== "string") return { kind: "response", id: null, mcpMethod: undefined, capabilityName: undefined, clientName: undefined };
  const method = m.method;
  const hasId = "id" in m;
  return {
    kind: hasId ? "request" : "notification",
    id: hasId ? (m.id as string | number) : null,
    mcpMethod: method,
    capabilityName: capabilityOf(method, m.params),
    clientName: clientNameOf(method, m.params),
  };
}

/**
 * Read the JSON-RPC call out of an already-parsed body. MCP 2025-06-18 removed batching, but a
 * 2025-03-26 client may still send an array: it is forwarded whole and reported as one "batch" call.
 */
export function readCall(json: unknown, parseError: string | undefined): CallReading {
  if (parseError !== undefined) return { ok: false, reason: "parse_error", id: null, detail: `the request body is not JSON (${parseError})` };
  if (Array.isArray(json)) {
    if (json.length === 0) return { ok: false, reason: "invalid_request", id: null, detail: "an empty batch is not a JSON-RPC message" };
    for (const m of json) {
      const problem = messageProblem(m);
      if (problem) return { ok: false, reason: "invalid_request", id: null, detail: `batch element: ${problem}` };
    }
    return { ok: true, call: { kind: "batch", id: null, mcpMethod: "batch", capabilityName: undefined, clientName: undefined, batchSize: json.length } };
  }
  const problem = messageProblem(json);
  if (problem) {
    const id = isObject(json) && isId(json.id) ? json.id : null;
    return { ok: false, reason: "invalid_request", id, detail: problem };
  }
  return { ok: true, call: single(json as JsonObject) };
}

/** A JSON-RPC error response body (§5.1). `data` carries the gateway's reasonCode and requestId. */
export function errorResponseText(id: JsonRpcId, code: number, message: string, data: Record<string, unknown>): string {
  return JSON.stringify({ jsonrpc: "2.0", id, error: { code, message, data } });
}
