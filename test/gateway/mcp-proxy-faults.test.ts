import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { startGateway, postRpc, type GatewayUnderTest } from "../helpers/gateway.ts";
import { routesDoc } from "../helpers/project.ts";
import { startBlackhole, startFaultyUpstream, startResettingUpstream, type FaultyUpstream } from "../helpers/upstreams.ts";

// Every way an upstream or a client can go wrong, through the real gateway: the client always gets a
// JSON-RPC error answering its id, with the documented code and HTTP status, and never the upstream's
// HTML or a stack trace. Timeouts are set small so each fault takes well under two seconds.

const LIMITS = { connectTimeoutMs: 300, requestTimeoutMs: 1500, sseIdleTimeoutMs: 400, maxRequestBodyBytes: 64 * 1024 };

let faulty: FaultyUpstream;
let resetting: ReturnType<typeof startResettingUpstream>;
let blackhole: Awaited<ReturnType<typeof startBlackhole>>;
let gateway: GatewayUnderTest;

function proxyRoute(operationId: string, options: Record<string, unknown>): Record<string, object> {
  return {
    "get,post": {
      operationId,
      "x-zuplo-route": { corsPolicy: "none", handler: { module: "$import(@zuplo/runtime/mcp-gateway)", export: "McpProxyHandler", options }, policies: { inbound: [] } },
    },
  };
}

const FAULT_PATHS = ["html-500", "hang", "held-sse", "sse-stall", "sse-trickle", "sse-truncated", "redirect", "huge", "refuse", "forbidden", "not-jsonrpc", "json-error", "tool-error", "echo", "accepted", "invalid-json", "drip-sse"];

beforeAll(async () => {
  faulty = startFaultyUpstream();
  resetting = startResettingUpstream();
  blackhole = await startBlackhole();
  gateway = await startGateway({
    zuplo: { version: 1, compatibilityDate: "2026-03-01", mcpgw: { proxy: LIMITS } },
    env: { ECHO_URL: `${faulty.origin}/echo` },
    routes: routesDoc({
      ...Object.fromEntries(FAULT_PATHS.map((p) => [`/f/${p}`, proxyRoute(p, { rewritePattern: `${faulty.origin}/${p}` })])),
      "/f/redirect-follow": proxyRoute("redirect-follow", { rewritePattern: `${faulty.origin}/redirect`, followRedirects: true }),
      "/f/echo-fixed-query": proxyRoute("echo-fixed-query", { rewritePattern: `${faulty.origin}/echo?fixed=1` }),
      "/f/echo-no-search": proxyRoute("echo-no-search", { rewritePattern: `${faulty.origin}/echo?fixed=1`, forwardSearch: false }),
      "/f/echo-env": proxyRoute("echo-env", { rewritePattern: "${env.ECHO_URL}" }),
      "/f/reset": proxyRoute("reset", { rewritePattern: resetting.url }),
      "/f/cut": proxyRoute("cut", { rewritePattern: resetting.cutUrl }),
      "/f/blackhole": proxyRoute("blackhole", { rewritePattern: blackhole.url }),
      "/f/refused": proxyRoute("refused", { rewritePattern: "http://127.0.0.1:1/mcp" }),
    }),
  });
});

afterAll(async () => {
  faulty.releaseHeldStream();
  await gateway.stop();
  faulty.stop();
  resetting.stop();
  blackhole.stop();
});

const call = (id: string | number, name = "work") => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {} } });

interface RpcError {
  jsonrpc: string;
  id: unknown;
  error: { code: number; message: string; data: { reasonCode: string; requestId: string; upstreamStatus?: number } };
}

async function expectRpcError(res: Response, status: number, code: number, id: unknown): Promise<RpcError> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/json");
  const text = await res.text();
  expect(text).not.toMatch(/<html|Traceback|at .*\.ts:\d+/);
  const body = JSON.parse(text) as RpcError;
  expect(body).toMatchObject({ jsonrpc: "2.0", id, error: { code } });
  expect(body.error.data.requestId).toBe(res.headers.get("x-request-id")!);
  return body;
}

/** Read an SSE response into its events' data values (parsed), as a client would. */
async function sseMessages(res: Response): Promise<unknown[]> {
  const text = await res.text();
  return text
    .split(/\n\n/)
    .map((block) => block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n"))
    .filter((data) => data !== "")
    .map((data) => JSON.parse(data));
}

const completion = (operationId: string) => gateway.waitForLog((l) => l.event === "capability_invocation_completed" && l.operationId === operationId);

describe("upstream faults become JSON-RPC errors", () => {
  it("an upstream that refuses connections → 502 upstream_unreachable (-32081)", async () => {
    const body = await expectRpcError(await postRpc(`${gateway.url}/f/refused`, call("r1")), 502, -32081, "r1");
    expect(body.error.data.reasonCode).toBe("upstream_unreachable");
    expect(await completion("refused")).toMatchObject({ outcome: "failure", failureOrigin: "upstream", reasonCode: "upstream_unreachable", jsonRpcErrorCode: -32081, httpStatus: 502 });
  });

  it("an upstream that resets the connection → 502 upstream_unreachable", async () => {
    await expectRpcError(await postRpc(`${gateway.url}/f/reset`, call(7)), 502, -32081, 7);
  });

  it("a whole JSON body that stops mid-value → 502 upstream_bad_response (-32086), not the broken body (found by the fault storm)", async () => {
    const body = await expectRpcError(await postRpc(`${gateway.url}/f/invalid-json`, call("truncated")), 502, -32086, "truncated");
    expect(body.error.data.reasonCode).toBe("upstream_bad_response");
  });

  it("an event stream that stops mid-event gets the timeout error as an event of its own (found by the fault storm)", async () => {
    const res = await postRpc(`${gateway.url}/f/drip-sse`, call("drip"));
    expect(res.status).toBe(200);
    const messages = (await res.text()).split(/\n\n/).map((block) => block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n"));
    // The upstream's unfinished event is cut off by the blank line; the last event is the gateway's error.
    expect(JSON.parse(messages.filter(Boolean).at(-1)!)).toMatchObject({ jsonrpc: "2.0", id: "drip", error: { code: -32083 } });
  });

  it("a large JSON answer cut off mid-body reaches the client cut off too (it cannot take an error any more)", async () => {
    const res = await postRpc(`${gateway.url}/f/cut`, call("cut"));
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(await completion("cut")).toMatchObject({ outcome: "failure", mcpStatus: "none", reasonCode: "upstream_unreachable", responseType: "json" });
  });

  it("a host that never completes the TCP handshake → 504 upstream_connect_timeout (-32082) after connectTimeoutMs", async () => {
    const started = performance.now();
    const body = await expectRpcError(await postRpc(`${gateway.url}/f/blackhole`, call("bh")), 504, -32082, "bh");
    expect(body.error.data.reasonCode).toBe("upstream_connect_timeout");
    expect(performance.now() - started).toBeLessThan(LIMITS.requestTimeoutMs);
  });

  it("an upstream that never answers → 504 upstream_timeout (-32083), and the gateway hangs up on it", async () => {
    await expectRpcError(await postRpc(`${gateway.url}/f/hang`, call("slow")), 504, -32083, "slow");
    await waitUntil(() => faulty.aborted.includes("/hang"));
  });

  it("a 500 with an HTML page → 502 upstream_bad_response (-32086) without the page", async () => {
    const body = await expectRpcError(await postRpc(`${gateway.url}/f/html-500`, call(1)), 502, -32086, 1);
    expect(body.error.data).toMatchObject({ reasonCode: "upstream_bad_response", upstreamStatus: 500 });
  });

  it("JSON that is not JSON-RPC → 502 upstream_bad_response", async () => {
    await expectRpcError(await postRpc(`${gateway.url}/f/not-jsonrpc`, call(2)), 502, -32086, 2);
  });

  for (const [path, status] of [
    ["refuse", 401],
    ["forbidden", 403],
  ] as const) {
    it(`an upstream ${status} → 502 upstream_auth_refused (-32087), its WWW-Authenticate withheld from the client`, async () => {
      const res = await postRpc(`${gateway.url}/f/${path}`, call("auth"));
      expect(res.headers.get("www-authenticate")).toBeNull();
      const body = await expectRpcError(res, 502, -32087, "auth");
      expect(body.error.data).toMatchObject({ reasonCode: "upstream_auth_refused", upstreamStatus: status });
      expect(await completion(path)).toMatchObject({ outcome: "denied", failureOrigin: "upstream", upstreamStatus: status, httpStatus: 502 });
    });
  }

  it("an event stream that goes silent → the idle timeout closes it with a JSON-RPC error event (-32084)", async () => {
    const res = await postRpc(`${gateway.url}/f/sse-stall`, call("idle"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const messages = await sseMessages(res);
    expect(messages).toEqual([{ jsonrpc: "2.0", id: "idle", error: expect.objectContaining({ code: -32084 }) }]);
    expect(await completion("sse-stall")).toMatchObject({ outcome: "failure", reasonCode: "upstream_sse_idle_timeout", responseType: "sse", sseEvents: 1 });
    await waitUntil(() => faulty.aborted.includes("/sse-stall"));
  });

  it("an event stream that ends without the response → a final JSON-RPC error event (-32085), outcome partial", async () => {
    const messages = await sseMessages(await postRpc(`${gateway.url}/f/sse-truncated`, call(9)));
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatchObject({ method: "notifications/progress" });
    expect(messages[1]).toMatchObject({ id: 9, error: { code: -32085, data: { reasonCode: "upstream_stream_incomplete" } } });
    expect(await completion("sse-truncated")).toMatchObject({ outcome: "partial", mcpStatus: "error" });
  });
});

describe("upstream answers pass through", () => {
  it("a JSON-RPC error in a 200 passes through unchanged, counted as application_error", async () => {
    const res = await postRpc(`${gateway.url}/f/json-error`, call("e"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jsonrpc: "2.0", id: "e", error: { code: -32602, message: "Invalid params" } });
    expect(await completion("json-error")).toMatchObject({ outcome: "application_error", mcpStatus: "error", jsonRpcErrorCode: -32602 });
  });

  it("a tool result with isError counts as application_error / tool_error", async () => {
    expect((await postRpc(`${gateway.url}/f/tool-error`, call("t"))).status).toBe(200);
    expect(await completion("tool-error")).toMatchObject({ outcome: "application_error", mcpStatus: "tool_error" });
  });

  it("a redirect passes through with its Location when followRedirects is false (the default)", async () => {
    const res = await postRpc(`${gateway.url}/f/redirect`, call(1), {}, { redirect: "manual" });
    expect(res.status).toBe(307);
    expect(res.headers.get("location")).toBe("/elsewhere");
    expect(await completion("redirect")).toMatchObject({ outcome: "redirected", mcpStatus: "none" });
  });

  it("followRedirects: true follows it", async () => {
    const res = await postRpc(`${gateway.url}/f/redirect-follow`, call(5), {}, { redirect: "manual" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 5, result: { redirected: true } });
  });

  it("a body larger than the buffering threshold streams through whole", async () => {
    const res = await postRpc(`${gateway.url}/f/huge`, call("big"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; result: { content: { text: string }[] } };
    expect(body.id).toBe("big");
    expect(body.result.content[0]!.text.length).toBe(3 * 1024 * 1024);
    expect(await completion("huge")).toMatchObject({ outcome: "success", mcpStatus: "result", responseType: "json" });
  });

  it("a notification's 202 passes through", async () => {
    const res = await postRpc(`${gateway.url}/f/accepted`, { jsonrpc: "2.0", method: "notifications/initialized" });
    expect(res.status).toBe(202);
    expect(await completion("accepted")).toMatchObject({ outcome: "success", mcpStatus: "accepted" });
  });

  it("response headers: hop-by-hop, Set-Cookie and Alt-Svc dropped; Mcp-Session-Id and the upstream's own headers kept", async () => {
    const res = await postRpc(`${gateway.url}/f/echo`, call(1));
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(res.headers.get("alt-svc")).toBeNull();
    expect(res.headers.get("mcp-session-id")).toBe("upstream-session");
    expect(res.headers.get("x-upstream")).toBe("yes");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("rewritePattern and forwardSearch", () => {
  const searchSeen = async (path: string) => ((await (await postRpc(`${gateway.url}${path}`, call(1))).json()) as { result: { search: string } }).result.search;

  it("appends the inbound query string by default", async () => {
    expect(await searchSeen("/f/echo?tenant=a&x=1")).toBe("?tenant=a&x=1");
  });

  it("merges it into a rewritePattern that has its own query", async () => {
    expect(await searchSeen("/f/echo-fixed-query?tenant=a")).toBe("?fixed=1&tenant=a");
  });

  it("drops it with forwardSearch: false", async () => {
    expect(await searchSeen("/f/echo-no-search?tenant=a")).toBe("?fixed=1");
  });

  it("resolves ${env.NAME} when the project loads", async () => {
    expect(await searchSeen("/f/echo-env?q=1")).toBe("?q=1");
  });
});

describe("streaming and disconnects", () => {
  it("relays each SSE event as it comes: the first reaches the client while the upstream still holds the stream open", async () => {
    const res = await postRpc(`${gateway.url}/f/held-sse`, call("stream"));
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("\n\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("stream ended early");
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toContain("notifications/message");
    expect(faulty.holding).toBe(true);
    faulty.releaseHeldStream();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toContain('"id":"stream","result"');
    expect(await completion("held-sse")).toMatchObject({ outcome: "success", mcpStatus: "result", sseEvents: 2 });
  });

  it("a slow stream that keeps sending is not idle: each event resets the idle timer", async () => {
    const messages = await sseMessages(await postRpc(`${gateway.url}/f/sse-trickle`, call("steady")));
    expect(messages).toHaveLength(6);
    expect(messages[5]).toEqual({ jsonrpc: "2.0", id: "steady", result: { content: [] } });
    expect(await completion("sse-trickle")).toMatchObject({ outcome: "success", sseEvents: 6 });
  });

  it("a client that hangs up before the answer cancels the upstream request", async () => {
    const aborts = faulty.aborted.filter((p) => p === "/hang").length;
    const client = new AbortController();
    const pending = postRpc(`${gateway.url}/f/hang`, call("gone"), {}, { signal: client.signal }).catch((e: Error) => e);
    await waitUntil(() => faulty.received.filter((r) => r.path === "/hang").length > aborts);
    client.abort();
    expect(await pending).toBeInstanceOf(Error);
    await waitUntil(() => faulty.aborted.filter((p) => p === "/hang").length > aborts);
    await gateway.waitForLog((l) => l.event === "capability_invocation_completed" && l.operationId === "hang" && l.outcome === "cancelled");
  });

  it("a client that hangs up mid-stream cancels the upstream stream", async () => {
    const client = new AbortController();
    const res = await postRpc(`${gateway.url}/f/held-sse`, call("leave"), {}, { signal: client.signal });
    const reader = res.body!.getReader();
    await reader.read();
    client.abort();
    await waitUntil(() => faulty.aborted.includes("/held-sse"));
    faulty.releaseHeldStream();
    await gateway.waitForLog((l) => l.event === "capability_invocation_completed" && l.operationId === "held-sse" && l.outcome === "cancelled");
  });
});

describe("request limits and malformed requests", () => {
  it("a body over maxRequestBodyBytes → 413 request_too_large (-32080), never sent upstream", async () => {
    const before = faulty.received.length;
    const big = JSON.stringify({ ...call("big"), params: { name: "echo", arguments: { text: "x".repeat(LIMITS.maxRequestBodyBytes) } } });
    const body = await expectRpcError(await postRpc(`${gateway.url}/f/echo`, big), 413, -32080, null);
    expect(body.error.data.reasonCode).toBe("request_too_large");
    expect(faulty.received.length).toBe(before);
  });

  it("a chunked body (no Content-Length) is cut off at the limit too", async () => {
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 16) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${gateway.url}/f/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: stream });
    await expectRpcError(res, 413, -32080, null);
  });

  it("a body that is not JSON → 400 parse error (-32700) with id null", async () => {
    await expectRpcError(await postRpc(`${gateway.url}/f/echo`, "{not json"), 400, -32700, null);
  });

  it("JSON that is not a JSON-RPC message → 400 invalid request (-32600), answering its id when it has one", async () => {
    await expectRpcError(await postRpc(`${gateway.url}/f/echo`, { id: 12, method: "tools/list" }), 400, -32600, 12);
    await expectRpcError(await postRpc(`${gateway.url}/f/echo`, [1, 2]), 400, -32600, null);
    const rejected = gateway.events("mcp_request_rejected").filter((l) => l.reasonCode === "invalid_request");
    expect(rejected.length).toBeGreaterThanOrEqual(2);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > until) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}
