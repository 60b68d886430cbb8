import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";
import { serve, type RunningGateway } from "../../src/cli/serve.ts";
import { mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";

// The capability filter end to end: a real SDK client → mcpgw → a real SDK server answering in JSON on one
// route and in SSE on the other. The upstream counts the calls it receives, so "never reached" is measured
// where it happens.

interface CountingUpstream {
  url: string;
  calls: Map<string, number>;
  stop(): void;
}

function sdkUpstream(json: boolean): CountingUpstream {
  const calls = new Map<string, number>();
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
  const build = () => {
    const server = new McpServer({ name: "catalog", version: "1.0.0" });
    for (const name of ["list_issues", "get_issue", "delete_issue"]) {
      server.registerTool(name, { description: `upstream ${name}`, inputSchema: { id: z.string().optional() }, annotations: { readOnlyHint: name !== "delete_issue", title: name } }, async () => {
        count(name);
        return { content: [{ type: "text", text: `${name} ran` }] };
      });
    }
    server.registerPrompt("triage", { description: "upstream triage" }, () => ({ messages: [{ role: "user", content: { type: "text", text: "triage" } }] }));
    server.registerPrompt("secret_prompt", { description: "hidden" }, () => ({ messages: [{ role: "user", content: { type: "text", text: "x" } }] }));
    server.registerResource("readme", "docs://readme", { mimeType: "text/plain" }, async (uri) => ({ contents: [{ uri: uri.href, text: "readme" }] }));
    server.registerResource("secrets", "docs://secrets", { mimeType: "text/plain" }, async (uri) => {
      count("docs://secrets");
      return { contents: [{ uri: uri.href, text: "s3cr3t" }] };
    });
    return server;
  };
  const http = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: json });
      await build().connect(transport);
      return transport.handleRequest(request);
    },
  });
  return { url: `http://127.0.0.1:${http.port}/mcp`, calls, stop: () => void http.stop(true) };
}

const FILTER_OPTIONS = {
  tools: ["list_issues", { name: "get_issue", description: "Curated: fetch one issue", annotations: { title: "Get issue" }, _meta: { "mcpgw/curated": true } }],
  prompts: ["triage"],
  resources: ["docs://readme"],
};

let gateway: RunningGateway;
let jsonUpstream: CountingUpstream;
let sseUpstream: CountingUpstream;

beforeAll(async () => {
  jsonUpstream = sdkUpstream(true);
  sseUpstream = sdkUpstream(false);
  const dir = writeProject({
    policies: {
      policies: [
        { name: "curate", policyType: "mcp-capability-filter-inbound", handler: { module: "$import(@zuplo/runtime/mcp-gateway)", export: "McpCapabilityFilterInboundPolicy", options: FILTER_OPTIONS } },
        { name: "remove-authorization-header", policyType: "remove-headers-inbound", handler: { module: "$import(@zuplo/runtime)", export: "RemoveHeadersInboundPolicy", options: { headers: ["authorization"] } } },
        { name: "set-api-key", policyType: "set-upstream-api-key-inbound", handler: { module: "$import(@zuplo/runtime)", export: "SetUpstreamApiKeyInboundPolicy", options: { value: "Bearer upstream-key" } } },
      ],
    },
    routes: routesDoc({
      "/mcp/json-v1": { "get,post": mcpRoute("json-mcp-server", jsonUpstream.url, ["curate"]) },
      "/mcp/sse-v1": { "get,post": mcpRoute("sse-mcp-server", sseUpstream.url, ["curate"]) },
      "/mcp/open-v1": { "get,post": mcpRoute("open-mcp-server", jsonUpstream.url) },
      // The chain Zuplo projects use, the filter not last: it filters the same way (a warning, not an error).
      "/mcp/filter-first-v1": { "get,post": mcpRoute("filter-first-mcp-server", jsonUpstream.url, ["curate", "remove-authorization-header", "set-api-key"]) },
    }),
  });
  gateway = await serve({ projectDir: dir, port: 0, host: "127.0.0.1", dataDir: undefined, logLevel: "silent", logFormat: "json" }, "start", {});
});

afterAll(async () => {
  await gateway.stop();
  jsonUpstream.stop();
  sseUpstream.stop();
});

async function connect(path: string): Promise<Client> {
  const client = new Client({ name: "filter-e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}${path}`)));
  return client;
}

for (const [mode, path, upstream] of [
  ["JSON", "/mcp/json-v1", () => jsonUpstream],
  ["SSE", "/mcp/sse-v1", () => sseUpstream],
  ["JSON, the filter first in the chain", "/mcp/filter-first-v1", () => jsonUpstream],
] as const) {
  describe(`capability filter through the gateway (upstream answers in ${mode})`, () => {
    it("lists only allowed tools, projected, with schemas from upstream", async () => {
      const client = await connect(path);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(["list_issues", "get_issue"]);
      const get = tools.find((t) => t.name === "get_issue")!;
      expect(get.description).toBe("Curated: fetch one issue");
      expect(get.annotations).toEqual({ title: "Get issue", readOnlyHint: true });
      expect(get._meta).toEqual({ "mcpgw/curated": true });
      expect(get.inputSchema.properties).toHaveProperty("id");
      expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(["triage"]);
      expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(["docs://readme"]);
      await client.close();
    });

    it("answers MethodNotFound for a hidden tool and resource before contacting the upstream", async () => {
      const client = await connect(path);
      const before = upstream().calls.get("delete_issue") ?? 0;
      await expect(client.callTool({ name: "delete_issue", arguments: {} })).rejects.toThrow(/-32601|Method not found/);
      await expect(client.readResource({ uri: "docs://secrets" })).rejects.toThrow(/-32601|Method not found/);
      await expect(client.getPrompt({ name: "secret_prompt" })).rejects.toThrow(/-32601|Method not found/);
      expect(upstream().calls.get("delete_issue") ?? 0).toBe(before);
      expect(upstream().calls.get("docs://secrets") ?? 0).toBe(0);
      const ok = await client.callTool({ name: "list_issues", arguments: {} });
      expect(ok.content).toEqual([{ type: "text", text: "list_issues ran" }]);
      await client.close();
    });
  });
}

describe("capability filter on raw JSON-RPC", () => {
  const post = (path: string, body: unknown) =>
    fetch(`${gateway.url}${path}`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify(body) });

  it("blocks a whole batch with one error when any item invokes a hidden tool, forwarding nothing", async () => {
    const before = jsonUpstream.calls.get("list_issues") ?? 0;
    const res = await post("/mcp/json-v1", [
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "list_issues", arguments: {} } },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "delete_issue", arguments: {} } },
    ]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 2, error: { code: -32601, message: "Method not found" } });
    expect(jsonUpstream.calls.get("list_issues") ?? 0).toBe(before);
  });

  it("filters an SSE list response: the event stream keeps its type and hidden tools are gone", async () => {
    const res = await post("/mcp/sse-v1", { jsonrpc: "2.0", id: 9, method: "tools/list" });
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    const text = await res.text();
    expect(text).toContain('"list_issues"');
    expect(text).not.toContain("delete_issue");
  });

  it("leaves a route without the filter untouched", async () => {
    const res = await post("/mcp/open-v1", { jsonrpc: "2.0", id: 1, method: "tools/list" });
    const body = (await res.json()) as { result: { tools: { name: string }[] } };
    expect(body.result.tools.map((t) => t.name)).toEqual(["list_issues", "get_issue", "delete_issue"]);
  });
});
