import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startGateway, type GatewayUnderTest } from "../helpers/gateway.ts";
import { mcpRoute, routesDoc } from "../helpers/project.ts";

// rewritePattern "mcpgw:demo": the example project's upstream, reached over real HTTP like any other.

let gateway: GatewayUnderTest;

beforeAll(async () => {
  gateway = await startGateway({ routes: routesDoc({ "/mcp/demo-v1": { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo") } }) });
});

afterAll(async () => {
  await gateway.stop();
});

describe("the built-in demo upstream", () => {
  it("is marked as a demo at startup", () => {
    expect(gateway.events("demo_upstream_started")[0]).toMatchObject({ level: "warn" });
    expect(String(gateway.events("route_registered")[0]!.msg)).toContain("[built-in DEMO upstream");
  });

  it("offers echo, add and get_time, one prompt and one resource through the gateway", async () => {
    const client = new Client({ name: "demo-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp/demo-v1`)));
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["echo", "add", "get_time"]);
    expect(await client.callTool({ name: "echo", arguments: { text: "hi" } })).toEqual({ content: [{ type: "text", text: "hi" }] });
    expect((await client.callTool({ name: "add", arguments: { a: 1, b: 2 } })).structuredContent).toEqual({ sum: 3 });
    const time = (await client.callTool({ name: "get_time", arguments: {} })).content as { text: string }[];
    expect(Number.isNaN(Date.parse(time[0]!.text))).toBe(false);
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(["greet"]);
    expect((await client.getPrompt({ name: "greet", arguments: { name: "Ada" } })).messages[0]!.content).toEqual({ type: "text", text: "Say hello to Ada." });
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(["demo://readme"]);
    expect((await client.readResource({ uri: "demo://readme" })).contents[0]).toMatchObject({ text: expect.stringContaining("built-in demo MCP server") });
    await client.close();
  });
});
