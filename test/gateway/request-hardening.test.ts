import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { loadProject } from "../../src/config/load.ts";
import { postRpc, startGateway, type GatewayUnderTest } from "../helpers/gateway.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";

// Issue 18, the proxy's side: request bodies as a memory and event-loop DoS (depth, batch length,
// bytes being read at once), non-JSON POSTs, and upstream response headers and redirects that would
// act on the gateway's origin. A real gateway in front of a real HTTP upstream that records what
// reached it, so "never forwarded" is measured where it would happen.

const LIMITS = { maxRequestBodyBytes: 64 * 1024, maxConcurrentBodyBytes: 100 * 1024, maxJsonDepth: 8, maxBatchSize: 4 };

let upstream: ReturnType<typeof Bun.serve>;
const received: string[] = [];
let gateway: GatewayUnderTest;

const ORIGIN_HEADERS = {
  "strict-transport-security": "max-age=63072000; includeSubDomains; preload",
  "clear-site-data": '"cookies", "storage"',
  "content-security-policy": "default-src 'none'",
  "content-security-policy-report-only": "default-src 'none'",
  "access-control-allow-origin": "*",
  "access-control-allow-credentials": "true",
  "access-control-expose-headers": "*",
  "set-cookie": "upstream=1; Path=/",
  nel: '{"report_to":"x","max_age":86400}',
  "report-to": '{"group":"x","max_age":86400,"endpoints":[{"url":"https://evil.example/r"}]}',
  "cross-origin-opener-policy": "unsafe-none",
  "origin-agent-cluster": "?0",
  refresh: "0; url=https://evil.example/",
};

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const body = await request.text();
      received.push(`${path} ${body.slice(0, 60)}`);
      const id = (() => {
        try {
          return (JSON.parse(body) as { id?: unknown }).id ?? null;
        } catch {
          return null;
        }
      })();
      const answer = JSON.stringify({ jsonrpc: "2.0", id, result: { content: [] } });
      switch (path) {
        case "/headers":
          return new Response(answer, { headers: { "content-type": "application/json", "x-upstream": "yes", "mcp-session-id": "s1", ...ORIGIN_HEADERS } });
        case "/away":
          return new Response(null, { status: 307, headers: { location: "https://evil.example/mcp" } });
        case "/away-json":
          return new Response(answer, { status: 308, headers: { location: "//evil.example/mcp", "content-type": "application/json" } });
        default:
          return new Response(answer, { headers: { "content-type": "application/json" } });
      }
    },
  });
  const to = (path: string) => `http://127.0.0.1:${upstream.port}${path}`;
  gateway = await startGateway({
    zuplo: { ...MCP_ZUPLO, mcpgw: { proxy: LIMITS } },
    routes: routesDoc({
      "/mcp": { "get,post": mcpRoute("record", to("/record")) },
      "/mcp/headers": { "get,post": mcpRoute("headers", to("/headers")) },
      "/mcp/away": { "get,post": mcpRoute("away", to("/away")) },
      "/mcp/away-json": { "get,post": mcpRoute("away-json", to("/away-json")) },
    }),
  });
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop(true);
});

const call = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: {} } });

interface RpcError {
  id: unknown;
  error: { code: number; data: { reasonCode: string; detail?: string } };
}

/** POST and expect nothing to reach the upstream. */
async function refused(body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: RpcError; headers: Headers }> {
  const before = received.length;
  const res = await postRpc(`${gateway.url}/mcp`, body, headers);
  const parsed = (await res.json()) as RpcError;
  expect(received.length).toBe(before);
  return { status: res.status, body: parsed, headers: res.headers };
}

describe("request bodies", () => {
  it("refuses JSON nested deeper than maxJsonDepth before parsing it (400, -32600 json_too_deep)", async () => {
    const deep = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"a":${"[".repeat(20_000)}${"]".repeat(20_000)}}}}`;
    const r = await refused(deep);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: -32600, data: { reasonCode: "json_too_deep" } });
  });

  it("accepts nesting up to maxJsonDepth", async () => {
    const res = await postRpc(`${gateway.url}/mcp`, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"a":[[[[[1]]]]]}}}`);
    expect(res.status).toBe(200);
  });

  it("refuses a batch longer than maxBatchSize (400, -32600 batch_too_large) and forwards a small one", async () => {
    const r = await refused(JSON.stringify([1, 2, 3, 4, 5].map(call)));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: -32600, data: { reasonCode: "batch_too_large" } });
    const small = await postRpc(`${gateway.url}/mcp`, JSON.stringify([call(1), call(2)]));
    expect(small.status).toBe(200);
  });

  it("refuses a POST that is not application/json with 415, never forwarding it", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) {
      const r = await refused(JSON.stringify(call(3)), { "content-type": type });
      expect(r.status).toBe(415);
      expect(r.body.error).toMatchObject({ code: -32600, data: { reasonCode: "unsupported_media_type" } });
    }
    const ok = await postRpc(`${gateway.url}/mcp`, JSON.stringify(call(4)), { "content-type": "Application/JSON; charset=utf-8" });
    expect(ok.status).toBe(200);
  });

  it("answers 503 with Retry-After while other bodies hold maxConcurrentBodyBytes, and serves again once they are read", async () => {
    const size = 60 * 1024;
    const padded = (id: number) => {
      const head = `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"pad":"`;
      const tail = `"}}}`;
      return head + "x".repeat(size - head.length - tail.length) + tail;
    };
    // A slow client: its headers promise 60 KiB, and only the first half arrives for now.
    const first = padded(10);
    let reply = "";
    let replied!: () => void;
    const done = new Promise<void>((resolve) => (replied = resolve));
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port: Number(new URL(gateway.url).port),
      socket: {
        data(_s, data) {
          reply += new TextDecoder().decode(data);
          if (reply.includes('"id":10')) replied();
        },
      },
    });
    socket.write(`POST /mcp HTTP/1.1\r\nHost: ${new URL(gateway.url).host}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n${first.slice(0, size / 2)}`);
    // The gateway reserves the body's bytes as soon as it starts on the request; until then a second body fits.
    let busy: Response | undefined;
    for (let attempt = 0; attempt < 200 && !busy; attempt++) {
      const res = await postRpc(`${gateway.url}/mcp`, padded(11));
      if (res.status === 503) busy = res;
      else await Bun.sleep(10);
    }
    expect(busy).toBeDefined();
    expect(busy!.headers.get("retry-after")).toBe("1");
    expect(((await busy!.json()) as RpcError).error).toMatchObject({ code: -32088, data: { reasonCode: "gateway_busy" } });

    socket.write(first.slice(size / 2));
    await done;
    socket.end();
    expect(reply).toStartWith("HTTP/1.1 200");
    const after = await postRpc(`${gateway.url}/mcp`, padded(12));
    expect(after.status).toBe(200);
  });
});

describe("upstream responses", () => {
  it("never passes headers that act on the gateway's origin", async () => {
    const res = await postRpc(`${gateway.url}/mcp/headers`, call(5));
    expect(res.status).toBe(200);
    for (const name of Object.keys(ORIGIN_HEADERS)) expect([name, res.headers.get(name)]).toEqual([name, null]);
    expect(res.headers.get("x-upstream")).toBe("yes");
    expect(res.headers.get("mcp-session-id")).toBe("s1");
  });

  for (const path of ["/mcp/away", "/mcp/away-json"]) {
    it(`answers 502 -32086 for a redirect to another origin, without its Location (${path})`, async () => {
      const res = await postRpc(`${gateway.url}${path}`, call(6), {}, { redirect: "manual" });
      expect(res.status).toBe(502);
      expect(res.headers.get("location")).toBeNull();
      const text = await res.text();
      expect(text).not.toContain("evil.example");
      expect(JSON.parse(text)).toMatchObject({ id: 6, error: { code: -32086, data: { reasonCode: "upstream_bad_response" } } });
    });
  }
});

describe("configuration", () => {
  it("refuses maxConcurrentBodyBytes below maxRequestBodyBytes", () => {
    const dir = writeProject({ zuplo: { ...MCP_ZUPLO, mcpgw: { proxy: { maxRequestBodyBytes: 1000, maxConcurrentBodyBytes: 999 } } } });
    const result = loadProject(dir, { env: {} });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result.ok ? [] : result.problems)).toContain("maxConcurrentBodyBytes must be at least maxRequestBodyBytes");
  });
});
