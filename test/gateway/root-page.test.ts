import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { startGateway as startPlain } from "../helpers/gateway.ts";
import { mcpRoute, routesDoc } from "../helpers/project.ts";
import { DEMO_PATH, startGateway, writeOAuthProject } from "../oauth/helpers.ts";

// GET / answers a newcomer who opens the gateway's URL in a browser (or asks for JSON): the routes, the URL
// an MCP client connects to on each and how sign-in happens there, and where the docs are, instead of
// a bare 404. It never shows an upstream URL: anyone who reaches the gateway can read the page.

const UPSTREAM = "https://upstream.internal.example/mcp";

describe("GET /", () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  beforeAll(async () => {
    gw = await startGateway(writeOAuthProject({ routes: { [DEMO_PATH]: "demo-mcp-server", "/mcp/other-v1": "other-mcp-server" }, rewritePattern: UPSTREAM }));
  });
  afterAll(async () => {
    await gw.stop();
  });

  it("answers a browser with a page naming each route's URL and sign-in, and the docs", async () => {
    const r = await fetch(`${gw.url}/`, { headers: { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(r.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await r.text();
    expect(html).toContain(`<code>${gw.url}${DEMO_PATH}</code>`);
    expect(html).toContain(`<code>${gw.url}/mcp/other-v1</code>`);
    expect(html).toContain("demo-mcp-server summary");
    expect(html).toContain(`dev-login (${gw.url}/oauth/dev-login) signs you in as dev-browser-user, then you approve the client on the consent page`);
    expect(html).toContain("<code>docs/oauth.md</code>");
    expect(html).toContain(`href="${gw.url}/__mcpgw/health/ready"`);
    expect(html).not.toContain("upstream.internal.example");
  });

  it("answers Accept: application/json with the same as JSON", async () => {
    const r = await fetch(`${gw.url}/`, { headers: { accept: "application/json" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    const doc = (await r.json()) as { routes: Record<string, unknown>[]; docs: { file: string }[]; health: string };
    expect(doc.routes).toEqual([
      expect.objectContaining({ path: DEMO_PATH, operationId: "demo-mcp-server", url: `${gw.url}${DEMO_PATH}`, signIn: "dev_login", protectedResourceMetadata: `${gw.url}/.well-known/oauth-protected-resource${DEMO_PATH}` }),
      expect.objectContaining({ path: "/mcp/other-v1", url: `${gw.url}/mcp/other-v1`, signIn: "dev_login" }),
    ]);
    expect(doc.docs.map((d) => d.file)).toContain("README.md");
    expect(doc.health).toBe(`${gw.url}/__mcpgw/health/ready`);
    expect(JSON.stringify(doc)).not.toContain("upstream.internal.example");
  });

  it("leaves other unknown paths a 404", async () => {
    expect((await fetch(`${gw.url}/nothing-here`)).status).toBe(404);
  });
});

describe("a project route at /", () => {
  it("keeps / for the project's route", async () => {
    const gw = await startPlain({ routes: routesDoc({ "/": { "get,post": mcpRoute("root-mcp", "mcpgw:demo") } }) });
    try {
      const r = await fetch(`${gw.url}/`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { result: { tools: unknown[] } }).result.tools.length).toBe(3);
      // GET on an MCP route is the handler's 405, not the directory page.
      expect((await fetch(`${gw.url}/`, { headers: { accept: "application/json" } })).status).toBe(405);
    } finally {
      await gw.stop();
    }
  });
});
