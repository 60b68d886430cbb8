import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { spawnCli, type CliRun } from "../helpers/cli.ts";

// The README's first command: the repository's own example project, served by the CLI as a new user
// would start it, then used by the SDK's client.
let run: CliRun;
let url: string;

beforeAll(async () => {
  run = spawnCli(["dev", "--port", "0", "--data-dir", mkdtempSync(join(tmpdir(), "mcpgw-example-"))]);
  url = await run.url();
});
afterAll(async () => {
  await run.stop();
});

describe("the example project (npm start)", () => {
  it("logs both demo routes as DEMO", async () => {
    const routes = await Promise.all(["/mcp/demo-v1", "/mcp/demo-public-v1"].map((p) => run.waitFor((e) => e.event === "route_registered" && e.path === p)));
    for (const r of routes) expect(String(r.msg)).toContain("DEMO upstream");
  });

  it("says at start-up where clients connect and how sign-in happens, and GET / lists the same", async () => {
    const [oauth, open] = await Promise.all(["/mcp/demo-v1", "/mcp/demo-public-v1"].map((p) => run.waitFor((e) => e.event === "route_registered" && e.path === p)));
    expect(oauth).toMatchObject({ url: `${url}/mcp/demo-v1`, signIn: "dev_login" });
    expect(String(oauth!.msg)).toContain(`dev-login (${url}/oauth/dev-login)`);
    expect(open).toMatchObject({ url: `${url}/mcp/demo-public-v1`, signIn: "none" });
    const root = (await (await fetch(`${url}/`, { headers: { accept: "application/json" } })).json()) as { routes: { url: string }[] };
    expect(root.routes.map((r) => r.url)).toEqual([`${url}/mcp/demo-v1`, `${url}/mcp/demo-public-v1`]);
  });

  it("lets an MCP client without OAuth list and call the demo tools on the public demo route", async () => {
    const client = new Client({ name: "readme-user", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp/demo-public-v1`)));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["add", "echo", "get_time"]);
    const sum = await client.callTool({ name: "add", arguments: { a: 20, b: 22 } });
    expect(sum.structuredContent).toEqual({ sum: 42 });
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(["greet"]);
    const readme = await client.readResource({ uri: "demo://readme" });
    expect(String((readme.contents[0] as { text: string }).text)).toContain("demo");
    await client.close();
  });

  it("protects /mcp/demo-v1 with an OAuth challenge pointing at its protected resource metadata", async () => {
    const res = await fetch(`${url}/mcp/demo-v1`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(401);
    const challenge = res.headers.get("www-authenticate") ?? "";
    expect(challenge).toContain('resource_metadata="');
    expect(challenge).toContain("/.well-known/oauth-protected-resource/mcp/demo-v1");
    const prm = (await (await fetch(`${url}/.well-known/oauth-protected-resource/mcp/demo-v1`)).json()) as Record<string, unknown>;
    expect(prm).toMatchObject({ resource: `${url}/mcp/demo-v1`, scopes_supported: ["mcp:tools"], bearer_methods_supported: ["header"] });
  });
});
