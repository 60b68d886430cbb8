import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { policy, postRpc, startGateway, type GatewayUnderTest } from "../helpers/gateway.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc } from "../helpers/project.ts";

// Issue 18, Medium: the capability filter must not fail open. A real HTTP upstream answers list
// requests in the ways the review found leaking: an SSE event whose data is a batch (a JSON array), a
// body JSON.parse rejects (Python's json.dumps writes `NaN`), a list under a 500, a list larger than
// the filter reads, an event that never ends. The hidden tool never reaches the client; where the
// answer cannot be read, the client gets a JSON-RPC error for its list request(s).

const CAP = 64 * 1024;
const TOOLS = [
  { name: "visible", inputSchema: { type: "object" } },
  { name: "hidden_tool", inputSchema: { type: "object" } },
];
const encoder = new TextEncoder();
const listResult = (id: unknown, extra = "") => `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"tools":${JSON.stringify(TOOLS)}${extra}}}`;
const bigTools = (id: unknown) => `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"tools":${JSON.stringify(TOOLS)},"padding":"${"x".repeat(CAP * 2)}"}}`;
const sse = { "content-type": "text/event-stream" };
const json = { "content-type": "application/json" };

let upstream: ReturnType<typeof Bun.serve>;
let gateway: GatewayUnderTest;
let cancelEndless!: () => void;
/** Resolves when the gateway cancels the endless event stream (the upstream sees its stream cancelled). */
const endlessCancelled = new Promise<void>((resolve) => (cancelEndless = resolve));

function answer(path: string, request: unknown): Response {
  const id = Array.isArray(request) ? null : (request as { id?: unknown }).id;
  const ids = Array.isArray(request) ? request.map((m: { id?: unknown }) => m.id) : [id];
  switch (path) {
    case "/sse-batch":
      return new Response(`event: message\ndata: [${ids.map((i) => listResult(i)).join(",")}]\n\n`, { headers: sse });
    case "/nan":
      return new Response(Array.isArray(request) ? `[${ids.map((i) => listResult(i, ',"score":NaN')).join(",")}]` : listResult(id, ',"score":NaN'), { headers: json });
    case "/sse-nan":
      return new Response(`event: message\ndata: ${listResult(id, ',"score":NaN')}\n\n`, { headers: sse });
    case "/status-500":
      return new Response(listResult(id), { status: 500, headers: json });
    case "/big-sized":
      return new Response(bigTools(id), { headers: json });
    case "/big-streamed":
      // No Content-Length: the proxy streams it, and the filter has to read it.
      return new Response(new ReadableStream({ start: (c) => (c.enqueue(encoder.encode(bigTools(id))), c.close()) }), { headers: json });
    case "/sse-endless":
      return new Response(
        new ReadableStream<Uint8Array>({
          pull: (c) => c.enqueue(encoder.encode(`data: ${"y".repeat(8 * 1024)}\n`)),
          cancel: () => cancelEndless(),
        }),
        { headers: sse },
      );
    default:
      return new Response(listResult(id), { headers: json });
  }
}

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      return answer(new URL(request.url).pathname, await request.json());
    },
  });
  const paths = ["/sse-batch", "/nan", "/sse-nan", "/status-500", "/big-sized", "/big-streamed", "/sse-endless", "/plain"];
  gateway = await startGateway({
    zuplo: { ...MCP_ZUPLO, mcpgw: { proxy: { maxFilteredResponseBytes: CAP } } },
    policies: { policies: [policy("curate", "mcp-capability-filter-inbound", "McpCapabilityFilterInboundPolicy", { tools: ["visible"] })] },
    routes: routesDoc(Object.fromEntries(paths.map((p) => [`/mcp${p}`, { "get,post": mcpRoute(p.slice(1), `http://127.0.0.1:${upstream.port}${p}`, ["curate"]) }]))),
  });
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop(true);
});

const list = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/list" });

interface RpcError {
  id: unknown;
  error: { code: number; data: { reasonCode: string } };
}

describe("capability filter fails closed", () => {
  it("filters a batched answer carried in one SSE event", async () => {
    const res = await postRpc(`${gateway.url}/mcp/sse-batch`, [list(1), list(2)]);
    const text = await res.text();
    expect(text).toContain('"visible"');
    expect(text).not.toContain("hidden_tool");
    const data = JSON.parse(text.split("\n").find((l) => l.startsWith("data: "))!.slice(6)) as { id: number; result: { tools: { name: string }[] } }[];
    expect(data.map((m) => [m.id, m.result.tools.map((t) => t.name)])).toEqual([
      [1, ["visible"]],
      [2, ["visible"]],
    ]);
  });

  it("filters a list that comes with an error status", async () => {
    const res = await postRpc(`${gateway.url}/mcp/status-500`, list(3));
    expect(res.status).toBe(500);
    const body = (await res.json()) as { result: { tools: { name: string }[] } };
    expect(body.result.tools.map((t) => t.name)).toEqual(["visible"]);
  });

  it("answers a JSON-RPC error, not the list, when the body is not JSON (NaN)", async () => {
    const res = await postRpc(`${gateway.url}/mcp/nan`, list(4));
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).not.toContain("hidden_tool");
    const body = JSON.parse(text) as RpcError;
    expect(body.id).toBe(4);
    expect(body.error.code).toBe(-32086);
    expect(body.error.data.reasonCode).toBe("upstream_bad_response");
  });

  it("answers one error per list request of a batch whose answer is not JSON", async () => {
    const res = await postRpc(`${gateway.url}/mcp/nan`, [list(5), list(6)]);
    const body = (await res.json()) as RpcError[];
    expect(body.map((e) => [e.id, e.error.code])).toEqual([
      [5, -32086],
      [6, -32086],
    ]);
  });

  it("replaces an SSE event that is not JSON with a JSON-RPC error", async () => {
    const text = await (await postRpc(`${gateway.url}/mcp/sse-nan`, list(7))).text();
    expect(text).not.toContain("hidden_tool");
    const data = JSON.parse(text.split("\n").find((l) => l.startsWith("data: "))!.slice(6)) as RpcError;
    expect(data).toMatchObject({ id: 7, error: { code: -32086 } });
  });

  for (const path of ["/big-sized", "/big-streamed"]) {
    it(`answers -32089 for a JSON list larger than maxFilteredResponseBytes (${path.slice(5)})`, async () => {
      const res = await postRpc(`${gateway.url}/mcp${path}`, list(8));
      expect(res.status).toBe(502);
      const body = (await res.json()) as RpcError;
      expect(body).toMatchObject({ id: 8, error: { code: -32089, data: { reasonCode: "upstream_response_too_large" } } });
    });
  }

  it("ends an SSE event that grows past the limit with a JSON-RPC error and stops reading the upstream", async () => {
    const res = await postRpc(`${gateway.url}/mcp/sse-endless`, list(9));
    const text = await res.text();
    expect(text.length).toBeLessThan(CAP);
    const data = JSON.parse(text.split("\n").find((l) => l.startsWith("data: "))!.slice(6)) as RpcError;
    expect(data).toMatchObject({ id: 9, error: { code: -32089 } });
    // Without the cancel, this waits until the test times out.
    await endlessCancelled;
  });

  it("still passes an honest list, filtered", async () => {
    const body = (await (await postRpc(`${gateway.url}/mcp/plain`, list(10))).json()) as { result: { tools: { name: string }[] } };
    expect(body.result.tools.map((t) => t.name)).toEqual(["visible"]);
  });
});
