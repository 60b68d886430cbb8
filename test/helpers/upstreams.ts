import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";

// Real upstream MCP servers for tests, all on 127.0.0.1 with ephemeral ports: the SDK's own server in
// each Streamable HTTP flavour, a deliberately faulty one, a socket that resets, and a host that never
// accepts a connection.

/** One request as the upstream received it. */
export interface ReceivedRequest {
  readonly path: string;
  readonly search: string;
  readonly headers: Headers;
  readonly body: string;
}

export interface SdkUpstream {
  readonly url: string;
  readonly received: ReceivedRequest[];
  stop(): void;
}

/** The capabilities every SDK upstream offers (like the built-in demo, plus a failing tool). */
function mcpServer(): McpServer {
  const server = new McpServer({ name: "test-upstream", version: "1.2.3" });
  server.registerTool("echo", { description: "Echo the text.", inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: "text", text }] }));
  server.registerTool("add", { description: "Add two numbers.", inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: "text", text: String(a + b) }],
    structuredContent: { sum: a + b },
  }));
  server.registerTool("fail", { description: "Always reports a tool error." }, async () => ({ content: [{ type: "text", text: "it failed" }], isError: true }));
  server.registerPrompt("greet", { description: "Greet someone.", argsSchema: { name: z.string() } }, ({ name }) => ({
    messages: [{ role: "user", content: { type: "text", text: `Say hello to ${name}.` } }],
  }));
  server.registerResource("readme", "test://readme", { description: "A readme.", mimeType: "text/plain" }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/plain", text: "read me" }],
  }));
  return server;
}

/**
 * The SDK server behind WebStandardStreamableHTTPServerTransport. `stateful` gives it a session id
 * generator (Mcp-Session-Id on initialize, required afterwards); `json` answers application/json
 * instead of text/event-stream.
 */
export function startSdkUpstream(options: { stateful: boolean; json: boolean }): SdkUpstream {
  const received: ReceivedRequest[] = [];
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const http = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const body = request.method === "POST" ? await request.clone().text() : "";
      received.push({ path: url.pathname, search: url.search, headers: request.headers, body });
      const sessionId = request.headers.get("mcp-session-id");
      if (options.stateful && sessionId) {
        const existing = sessions.get(sessionId);
        if (!existing) return Response.json({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } }, { status: 404 });
        return existing.handleRequest(request);
      }
      const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: options.stateful ? () => crypto.randomUUID() : undefined,
        enableJsonResponse: options.json,
        onsessioninitialized: (id) => void sessions.set(id, transport),
      });
      await mcpServer().connect(transport);
      return transport.handleRequest(request);
    },
  });
  return { url: `http://127.0.0.1:${http.port}/mcp`, received, stop: () => void http.stop(true) };
}

export interface FaultyUpstream {
  readonly origin: string;
  readonly received: ReceivedRequest[];
  /** Paths whose request signal aborted (the gateway hung up on the upstream). */
  readonly aborted: string[];
  /** Resolves when the upstream has a request on `path` open. */
  waitForRequest(path: string): Promise<void>;
  /** Lets /held-sse finish its stream. */
  releaseHeldStream(): void;
  /** Whether /held-sse is still holding its stream open. */
  readonly holding: boolean;
  stop(): void;
}

const encoder = new TextEncoder();
const sseHeaders = { "content-type": "text/event-stream", "cache-control": "no-cache" };
const rpcResult = (id: unknown, result: unknown) => JSON.stringify({ jsonrpc: "2.0", id, result });
const sseEvent = (data: string, id?: string) => encoder.encode(`${id ? `id: ${id}\n` : ""}event: message\ndata: ${data}\n\n`);

/** An upstream that misbehaves in every way the proxy must survive, one path per fault. */
export function startFaultyUpstream(): FaultyUpstream {
  const received: ReceivedRequest[] = [];
  const aborted: string[] = [];
  const arrivals = new Map<string, (() => void)[]>();
  let release: () => void = () => undefined;
  let held = new Promise<void>((r) => (release = r));
  let holding = false;

  const http = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const path = url.pathname;
      const body = await request.text();
      received.push({ path, search: url.search, headers: request.headers, body });
      request.signal.addEventListener("abort", () => aborted.push(path));
      for (const notify of arrivals.get(path)?.splice(0) ?? []) notify();
      let id: unknown = null;
      try {
        id = (JSON.parse(body) as { id?: unknown }).id ?? null;
      } catch {
        // Not JSON: the fault paths answer regardless.
      }
      switch (path) {
        case "/html-500":
          return new Response("<html><body><h1>500 Internal Server Error</h1><pre>Traceback (most recent call last)…</pre></body></html>", { status: 500, headers: { "content-type": "text/html" } });
        case "/hang":
          return new Promise<Response>((resolve) => request.signal.addEventListener("abort", () => resolve(new Response(null))));
        case "/held-sse": {
          holding = true;
          const stream = new ReadableStream<Uint8Array>({
            async start(controller) {
              controller.enqueue(sseEvent(JSON.stringify({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "working" } }), "1"));
              await held;
              controller.enqueue(sseEvent(rpcResult(id, { content: [{ type: "text", text: "done" }] }), "2"));
              holding = false;
              controller.close();
            },
          });
          return new Response(stream, { headers: sseHeaders });
        }
        case "/sse-stall":
          return new Response(
            new ReadableStream<Uint8Array>({
              start(controller) {
                controller.enqueue(encoder.encode("id: prime\ndata: \n\n"));
              },
            }),
            { headers: sseHeaders },
          );
        case "/sse-trickle":
          // Five progress events 150 ms apart, then the answer: slow, but never silent for long.
          return new Response(
            new ReadableStream<Uint8Array>({
              async start(controller) {
                for (let n = 1; n <= 5; n++) {
                  controller.enqueue(sseEvent(JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: n } })));
                  await Bun.sleep(150);
                }
                controller.enqueue(sseEvent(rpcResult(id, { content: [] })));
                controller.close();
              },
            }),
            { headers: sseHeaders },
          );
        case "/sse-truncated":
          return new Response(sseEvent(JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: 1 } })), { headers: sseHeaders });
        case "/drip-json":
          // Promises 200 bytes and sends one every 50 ms: a slow-loris upstream.
          return new Response(
            new ReadableStream<Uint8Array>({
              async pull(controller) {
                await Bun.sleep(50);
                if (request.signal.aborted) controller.close();
                else controller.enqueue(encoder.encode(" "));
              },
            }),
            { headers: { "content-type": "application/json", "content-length": "200" } },
          );
        case "/drip-sse":
          // One event that never ends, a byte every 50 ms: never idle, never an answer.
          return new Response(
            new ReadableStream<Uint8Array>({
              start(controller) {
                controller.enqueue(encoder.encode("event: message\ndata: {"));
              },
              async pull(controller) {
                await Bun.sleep(50);
                if (request.signal.aborted) controller.close();
                else controller.enqueue(encoder.encode(" "));
              },
            }),
            { headers: sseHeaders },
          );
        case "/sse-endless":
          // Progress notifications as fast as the gateway reads them, forever.
          return new Response(
            new ReadableStream<Uint8Array>({
              async pull(controller) {
                await Bun.sleep(1);
                controller.enqueue(sseEvent(JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: 1 } })));
              },
            }),
            { headers: sseHeaders },
          );
        case "/invalid-json":
          return new Response('{"jsonrpc":"2.0","id":' + JSON.stringify(id) + ',"result":{"content":[', { headers: { "content-type": "application/json" } });
        case "/redirect":
          return new Response(null, { status: 307, headers: { location: "/elsewhere" } });
        case "/elsewhere":
          return new Response(rpcResult(id, { redirected: true }), { headers: { "content-type": "application/json" } });
        case "/huge":
          return new Response(rpcResult(id, { content: [{ type: "text", text: "x".repeat(3 * 1024 * 1024) }] }), { headers: { "content-type": "application/json" } });
        case "/refuse":
          return new Response(JSON.stringify({ error: "invalid_token" }), {
            status: 401,
            headers: { "content-type": "application/json", "www-authenticate": 'Bearer error="invalid_token", scope="repo"' },
          });
        case "/forbidden":
          return new Response("no", { status: 403 });
        case "/not-jsonrpc":
          return Response.json({ hello: "world" });
        case "/json-error":
          return Response.json({ jsonrpc: "2.0", id, error: { code: -32602, message: "Invalid params" } });
        case "/tool-error":
          return Response.json({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text: "nope" }], isError: true } });
        case "/echo":
          return new Response(rpcResult(id, { search: url.search }), {
            headers: { "content-type": "application/json", "set-cookie": "upstream=1", "mcp-session-id": "upstream-session", "x-upstream": "yes", "alt-svc": 'h3=":443"' },
          });
        case "/accepted":
          return new Response(null, { status: 202 });
        default:
          return new Response("not found", { status: 404, headers: { "content-type": "text/plain" } });
      }
    },
  });
  return {
    origin: `http://127.0.0.1:${http.port}`,
    received,
    aborted,
    waitForRequest: (path) =>
      received.some((r) => r.path === path)
        ? Promise.resolve()
        : new Promise((resolve) => arrivals.set(path, [...(arrivals.get(path) ?? []), resolve])),
    releaseHeldStream() {
      release();
      held = new Promise<void>((r) => (release = r));
    },
    get holding() {
      return holding;
    },
    stop: () => void http.stop(true),
  };
}

/**
 * A raw TCP upstream that breaks HTTP: on `/mcp` it resets the connection without answering; on `/cut`
 * it promises a 2 MB JSON body, sends half of it, and resets; on `/drip` it promises 200 bytes of JSON
 * (a Content-Length, which Bun's server drops for a streamed body) and sends one every 50 ms.
 */
export function startResettingUpstream(): { url: string; cutUrl: string; dripUrl: string; stop(): void } {
  const listener = Bun.listen<{ drip?: ReturnType<typeof setInterval> }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      close(socket) {
        clearInterval(socket.data?.drip);
      },
      data(socket, data) {
        if (new TextDecoder().decode(data).startsWith("POST /drip")) {
          if (socket.data?.drip) return;
          socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n");
          socket.data = { drip: setInterval(() => socket.write(" "), 50) };
          return;
        }
        if (new TextDecoder().decode(data).startsWith("POST /cut")) {
          socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2000000\r\n\r\n{"result":{"content":[{"type":"text","text":"${"x".repeat(1_000_000)}`);
          socket.flush();
          setTimeout(() => socket.terminate(), 50);
          return;
        }
        socket.terminate();
      },
    },
  });
  const origin = `http://127.0.0.1:${listener.port}`;
  return { url: `${origin}/mcp`, cutUrl: `${origin}/cut`, dripUrl: `${origin}/drip`, stop: () => listener.stop(true) };
}

/**
 * A loopback port that never completes a TCP handshake: a listener that never accepts, its one-slot
 * backlog already full, so the kernel drops further SYNs (what a firewalled or dead host looks like).
 * Bun cannot leave a socket unaccepted, so a tiny python3 process holds it.
 */
export async function startBlackhole(): Promise<{ url: string; stop(): void }> {
  const script = [
    "import socket, sys, time",
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
    "port = s.getsockname()[1]; fill = []",
    "for _ in range(4):",
    "    c = socket.socket(); c.setblocking(False)",
    "    try: c.connect(('127.0.0.1', port))",
    "    except BlockingIOError: pass",
    "    fill.append(c)",
    "print(port, flush=True)",
    "sys.stdin.read()",
  ].join("\n");
  const proc = Bun.spawn(["python3", "-c", script], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  const port = Number(new TextDecoder().decode(value).trim());
  if (!port) throw new Error("python3 did not report a port for the blackhole listener");
  return { url: `http://127.0.0.1:${port}/mcp`, stop: () => proc.kill() };
}
