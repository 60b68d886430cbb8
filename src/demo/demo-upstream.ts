import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";
import pkg from "../../package.json" with { type: "json" };

// A small, real MCP server (the SDK's own) so the example project works offline. It runs in the gateway
// process on an ephemeral loopback port and is reached over real HTTP, exactly like any upstream.
function demoServer(): McpServer {
  const server = new McpServer({ name: "mcpgw-demo", version: pkg.version });
  server.registerTool("echo", { description: "Echo the given text back.", inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: "text", text }],
  }));
  server.registerTool(
    "add",
    { description: "Add two numbers.", inputSchema: { a: z.number(), b: z.number() }, annotations: { readOnlyHint: true } },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }], structuredContent: { sum: a + b } }),
  );
  server.registerTool("get_time", { description: "Current time on the gateway host (ISO 8601).", annotations: { readOnlyHint: true } }, async () => ({
    content: [{ type: "text", text: new Date().toISOString() }],
  }));
  server.registerPrompt("greet", { description: "Greet someone by name.", argsSchema: { name: z.string() } }, ({ name }) => ({
    messages: [{ role: "user", content: { type: "text", text: `Say hello to ${name}.` } }],
  }));
  server.registerResource("readme", "demo://readme", { description: "About this demo upstream.", mimeType: "text/plain" }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/plain", text: "This is mcpgw's built-in demo MCP server. Replace it with your upstream's URL in config/routes.oas.json." }],
  }));
  return server;
}

export interface DemoUpstream {
  readonly url: string;
  stop(): void;
}

/** Start the demo upstream on 127.0.0.1 (ephemeral port). Stateless: a fresh server per request. */
export function startDemoUpstream(): DemoUpstream {
  const http = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (new URL(request.url).pathname !== "/mcp") return new Response("not found", { status: 404 });
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      const server = demoServer();
      await server.connect(transport);
      return transport.handleRequest(request);
    },
  });
  return { url: `http://127.0.0.1:${http.port}/mcp`, stop: () => void http.stop(true) };
}
