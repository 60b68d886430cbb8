import { describe, expect, it } from "bun:test";
import { routeLines } from "../../src/cli/route-lines.ts";
import { loadProject } from "../../src/config/load.ts";
import type { GatewayConfig } from "../../src/config/types.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";
import { oauthPolicy, writeOAuthProject } from "../oauth/helpers.ts";

// route_registered, the start-up line per route: the URL an MCP client connects to, the upstream, and
// how a person signs in there (issue 19, the first five minutes). Over real projects, loaded as serve() does.

function load(dir: string): GatewayConfig {
  const result = loadProject(dir, { env: {} });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

const LISTEN = "http://127.0.0.1:9000";

describe("route_registered", () => {
  it("names the client URL, the upstream, and dev-login then consent on an OAuth route under mcpgw dev", () => {
    const [line] = routeLines(load(writeOAuthProject({ rewritePattern: "https://upstream.example/mcp" })), LISTEN, "dev", undefined);
    expect(line!.fields).toMatchObject({ path: "/mcp/demo-v1", url: "http://127.0.0.1:9000/mcp/demo-v1", signIn: "dev_login", operationId: "demo-mcp-server", policies: ["dev-oauth"] });
    expect(line!.msg).toStartWith("GET,POST http://127.0.0.1:9000/mcp/demo-v1 → https://upstream.example/mcp. ");
    expect(line!.msg).toContain("dev-login (http://127.0.0.1:9000/oauth/dev-login) signs you in as dev-browser-user, then you approve the client on the consent page");
  });

  it("says nobody can sign in through dev-login under mcpgw start", () => {
    const [line] = routeLines(load(writeOAuthProject()), LISTEN, "start", "http://127.0.0.1:5555/mcp");
    expect(line!.fields.signIn).toBe("dev_login_unavailable");
    expect(line!.msg).toContain("http://127.0.0.1:5555/mcp [built-in DEMO upstream");
    expect(line!.msg).toContain("/oauth/dev-login answers 403 under `mcpgw start`");
  });

  it("names the identity provider on a federated route, and the dev identities when mcpgw.devLogin.users lists some", () => {
    const federated = load(
      writeOAuthProject({ browserLogin: { url: "https://idp.example/authorize", tokenUrl: "https://idp.example/token", clientId: "a", clientSecret: "b" } }),
    );
    expect(routeLines(federated, LISTEN, "dev", undefined)[0]!.fields.signIn).toBe("identity_provider");
    const withUsers = writeProject({
      zuplo: { ...MCP_ZUPLO, mcpgw: { devLogin: { users: { alice: { roles: ["admin"] }, bob: {} } } } },
      policies: { policies: [oauthPolicy()] },
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "mcpgw:demo", ["dev-oauth"]) } }),
    });
    expect(routeLines(load(withUsers), LISTEN, "dev", undefined)[0]!.msg).toContain("offers the identities of mcpgw.devLogin.users (alice, bob)");
  });

  it("says a route without an MCP OAuth policy has no sign-in", () => {
    const dir = writeProject({ routes: routesDoc({ "/mcp/open": { post: mcpRoute("open", "https://upstream.example/mcp") } }) });
    const [line] = routeLines(load(dir), LISTEN, "dev", undefined);
    expect(line!.fields).toMatchObject({ url: "http://127.0.0.1:9000/mcp/open", signIn: "none", methods: ["POST"] });
    expect(line!.msg).toContain("No sign-in");
  });

  it("uses mcpgw.publicOrigin when set, and loopback rather than the unspecified address it listens on", () => {
    const routes = routesDoc({ "/mcp/open": { post: mcpRoute("open", "https://upstream.example/mcp") } });
    const behindProxy = writeProject({ zuplo: { ...MCP_ZUPLO, mcpgw: { publicOrigin: "https://mcp.example.com" } }, routes });
    expect(routeLines(load(behindProxy), "http://0.0.0.0:9000", "start", undefined)[0]!.fields.url).toBe("https://mcp.example.com/mcp/open");
    expect(routeLines(load(writeProject({ routes })), "http://0.0.0.0:9000", "start", undefined)[0]!.fields.url).toBe("http://127.0.0.1:9000/mcp/open");
    expect(routeLines(load(writeProject({ routes })), "http://[::]:9000", "start", undefined)[0]!.fields.url).toBe("http://[::1]:9000/mcp/open");
  });
});
