import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";
import { answerTemplate, initializeAnswer, PROTOCOL_VERSION, SERVER_INFO, sniffMessage } from "./messages.ts";

// The upstream MCP servers of the benchmark, all on 127.0.0.1:
// - minimal: a Bun responder answering from fixed bytes, in JSON or as one SSE event: the physical limit
//   of an upstream (no parse, no SDK). It also answers initialize and notifications, so a stateful proxy
//   (the Civic passthrough) can open a session against it.
// - sdk: the official SDK server (McpServer + WebStandardStreamableHTTPServerTransport, stateless,
//   enableJsonResponse), i.e. what a real TypeScript MCP server costs per request.
// - sse-hold: answers every POST with an event stream that never ends, only a comment every few
//   seconds (a long-running tool call with keepalives), for the open-streams test.
// Each runs in its own process in the full bench (`bun scripts/bench/upstreams.ts KIND`), so its CPU
// is accounted apart from the proxy's.

export type UpstreamKind = "minimal-json" | "minimal-sse" | "sdk" | "sse-hold";
export const UPSTREAM_KINDS: readonly UpstreamKind[] = ["minimal-json", "minimal-sse", "sdk", "sse-hold"];
export const UPSTREAM_PATH = "/mcp";
/** GET on the sse-hold upstream: how many streams are open, opened and closed so far. */
export const STATS_PATH = "/__stats";

export interface RunningUpstream {
  readonly kind: UpstreamKind;
  readonly url: string;
  stop(): void;
}

const JSON_HEADERS = { "content-type": "application/json" };
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };
const notAllowed = () => new Response(null, { status: 405, headers: { allow: "POST" } });

function minimalAnswer(body: string): string | undefined {
  const { method, idText, protocolVersion } = sniffMessage(body);
  if (idText === undefined || method === undefined) return undefined;
  if (method === "initialize") return initializeAnswer(idText, protocolVersion ?? PROTOCOL_VERSION);
  const template = answerTemplate(method);
  if (template) return template.before + idText + template.after;
  return `{"jsonrpc":"2.0","id":${idText},"error":{"code":-32601,"message":"Method not found"}}`;
}

export function startMinimalUpstream(mode: "json" | "sse", port = 0): RunningUpstream {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    async fetch(request) {
      if (request.method !== "POST") return notAllowed();
      const answer = minimalAnswer(await request.text());
      // A notification or a response: Streamable HTTP answers 202 with no body.
      if (answer === undefined) return new Response(null, { status: 202 });
      if (mode === "sse") return new Response(`event: message\ndata: ${answer}\n\n`, { headers: SSE_HEADERS });
      return new Response(answer, { headers: JSON_HEADERS });
    },
  });
  return { kind: mode === "json" ? "minimal-json" : "minimal-sse", url: `http://127.0.0.1:${server.port}${UPSTREAM_PATH}`, stop: () => void server.stop(true) };
}

function sdkServer(): McpServer {
  const server = new McpServer(SERVER_INFO);
  server.registerTool("echo", { description: "Echo the text back.", inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: "text", text }] }));
  server.registerTool("add", { description: "Add two numbers.", inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: "text", text: String(a + b) }],
  }));
  server.registerTool("get_time", { description: "The current time as an ISO 8601 string." }, async () => ({ content: [{ type: "text", text: new Date().toISOString() }] }));
  return server;
}

/** The SDK's stateless pattern: a fresh server and transport per request. */
export function startSdkUpstream(port = 0): RunningUpstream {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    async fetch(request) {
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await sdkServer().connect(transport);
      return transport.handleRequest(request);
    },
  });
  return { kind: "sdk", url: `http://127.0.0.1:${server.port}${UPSTREAM_PATH}`, stop: () => void server.stop(true) };
}

export interface HoldStats {
  open: number;
  opened: number;
  closed: number;
}

/** Streams stay open until the client (or the proxy in front) goes away; one timer pings them all. */
export function startSseHoldUpstream(port = 0, pingIntervalMs = 4_000): RunningUpstream & { stats(): HoldStats } {
  const encoder = new TextEncoder();
  const OPEN = encoder.encode(": open\n\n");
  const PING = encoder.encode(": ping\n\n");
  const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const stats: HoldStats = { open: 0, opened: 0, closed: 0 };
  const timer = setInterval(() => {
    for (const c of streams) {
      try {
        c.enqueue(PING);
      } catch {
        streams.delete(c);
      }
    }
  }, pingIntervalMs);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    idleTimeout: 0,
    async fetch(request) {
      if (request.method === "GET" && new URL(request.url).pathname === STATS_PATH) return Response.json(stats);
      if (request.method !== "POST") return notAllowed();
      await request.arrayBuffer();
      let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
      let done = false;
      const close = () => {
        if (done) return;
        done = true;
        if (controller) streams.delete(controller);
        stats.open--;
        stats.closed++;
      };
      stats.open++;
      stats.opened++;
      request.signal.addEventListener("abort", close);
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          controller = c;
          streams.add(c);
          c.enqueue(OPEN);
        },
        cancel: close,
      });
      return new Response(body, { headers: SSE_HEADERS });
    },
  });
  return {
    kind: "sse-hold",
    url: `http://127.0.0.1:${server.port}${UPSTREAM_PATH}`,
    stats: () => ({ ...stats }),
    stop: () => {
      clearInterval(timer);
      void server.stop(true);
    },
  };
}

export function startUpstream(kind: UpstreamKind, port = 0): RunningUpstream {
  switch (kind) {
    case "minimal-json":
      return startMinimalUpstream("json", port);
    case "minimal-sse":
      return startMinimalUpstream("sse", port);
    case "sdk":
      return startSdkUpstream(port);
    case "sse-hold":
      return startSseHoldUpstream(port);
  }
}

if (import.meta.main) {
  const kind = process.argv[2] as UpstreamKind;
  if (!UPSTREAM_KINDS.includes(kind)) {
    console.error(`usage: bun scripts/bench/upstreams.ts ${UPSTREAM_KINDS.join("|")}`);
    process.exit(2);
  }
  const upstream = startUpstream(kind);
  console.log(JSON.stringify({ event: "listening", kind, url: upstream.url }));
  const stop = () => {
    upstream.stop();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
