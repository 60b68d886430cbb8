import { expect, it } from "bun:test";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";
import { DEMO_PATH, oauthPolicy, OAUTH_POLICY, startGateway, writeOAuthProject } from "./helpers.ts";

// Issue 18 (low): discovery documents carried no Cache-Control. They change only with the configuration:
// cacheable for 5 minutes; a 404 (no such route yet) is not cached; with origins taken from forwarded
// headers a shared cache must key on those headers too.

const DOCUMENTS = [`/.well-known/oauth-protected-resource${DEMO_PATH}`, "/.well-known/oauth-authorization-server", `/.well-known/oauth-authorization-server${DEMO_PATH}`];

it("lets clients and caches keep discovery documents for 5 minutes, and never a 404", async () => {
  const gw = await startGateway(writeOAuthProject());
  try {
    for (const path of DOCUMENTS) {
      const r = await fetch(`${gw.url}${path}`);
      expect({ path, status: r.status, cache: r.headers.get("cache-control"), vary: r.headers.get("vary") }).toEqual({ path, status: 200, cache: "public, max-age=300", vary: null });
    }
    const missing = await fetch(`${gw.url}/.well-known/oauth-protected-resource/mcp/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("cache-control")).toBe("no-store");
  } finally {
    await gw.stop();
  }
});

it("varies on the forwarded headers when they decide the origin", async () => {
  const dir = writeProject({
    zuplo: { ...MCP_ZUPLO, mcpgw: { trustForwardedHeaders: true } },
    policies: { policies: [oauthPolicy()] },
    routes: routesDoc({ [DEMO_PATH]: { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", [OAUTH_POLICY]) } }),
  });
  const gw = await startGateway(dir);
  try {
    const r = await fetch(`${gw.url}${DOCUMENTS[0]}`, { headers: { "x-forwarded-host": "mcp.example.com", "x-forwarded-proto": "https" } });
    expect(((await r.json()) as { resource: string }).resource).toBe(`https://mcp.example.com${DEMO_PATH}`);
    expect(r.headers.get("vary")).toBe("x-forwarded-host, x-forwarded-proto");
  } finally {
    await gw.stop();
  }
});
