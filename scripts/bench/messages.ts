// The JSON-RPC traffic of the benchmark: the two requests every target is loaded with, and the fixed
// answers of the minimal responder. The answers are compact JSON, so a proxy that parses and
// re-serialises them (the naive hono proxy) gives back the same bytes, and byte identity is checkable.

export type BenchMethod = "tools/call" | "tools/list";
export const BENCH_METHODS: readonly BenchMethod[] = ["tools/call", "tools/list"];

/** The MCP protocol version the load requests claim (stateless Streamable HTTP, 2025-06-18). */
export const PROTOCOL_VERSION = "2025-06-18";

export const TOOLS = [
  {
    name: "echo",
    description: "Echo the text back.",
    inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"], additionalProperties: false },
  },
  {
    name: "add",
    description: "Add two numbers.",
    inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"], additionalProperties: false },
  },
  {
    name: "get_time",
    description: "The current time as an ISO 8601 string.",
    inputSchema: { type: "object", properties: {}, additionalProperties: false },
  },
] as const;

export const REQUEST_BODIES: Readonly<Record<BenchMethod, string>> = {
  "tools/call": JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: { text: "hello" } } }),
  "tools/list": JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
};

/** Result members of the minimal responder's answers, by method. */
const RESULTS: Readonly<Record<string, unknown>> = {
  "tools/call": { content: [{ type: "text", text: "hello" }] },
  "tools/list": { tools: TOOLS },
  ping: {},
};

export const SERVER_INFO = { name: "mcpgw-bench-minimal", version: "1.0.0" };

/**
 * The answer for `method` with the request's id spliced in as raw JSON text: the bytes around the id
 * are built once, so answering costs a concatenation, not a JSON.stringify.
 */
export function answerTemplate(method: string): { before: string; after: string } | undefined {
  const result = RESULTS[method];
  if (result === undefined) return undefined;
  const marker = "__ID__";
  const text = JSON.stringify({ jsonrpc: "2.0", id: marker, result });
  const at = text.indexOf(`"${marker}"`);
  return { before: text.slice(0, at), after: text.slice(at + marker.length + 2) };
}

export function initializeAnswer(idText: string, protocolVersion: string): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id: "__ID__",
    result: { protocolVersion, capabilities: { tools: { listChanged: false } }, serverInfo: SERVER_INFO },
  }).replace('"__ID__"', idText);
}

const ID = /"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|null)/;
const METHOD = /"method"\s*:\s*"([^"]+)"/;
const VERSION = /"protocolVersion"\s*:\s*"([^"]+)"/;

/** The method, raw id text and requested protocol version of one JSON-RPC message, by pattern (no parse). */
export function sniffMessage(body: string): { method: string | undefined; idText: string | undefined; protocolVersion: string | undefined } {
  return { method: METHOD.exec(body)?.[1], idText: ID.exec(body)?.[1], protocolVersion: VERSION.exec(body)?.[1] };
}
