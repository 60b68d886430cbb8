import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { RunningGateway } from "../../src/cli/serve.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";
import {
  authorizeInBrowser,
  authorizeUrl,
  Browser,
  DEMO_PATH,
  mcpPost,
  oauthPolicy,
  OAUTH_POLICY,
  pkcePair,
  postForm,
  REDIRECT_URI,
  registerClient,
  startGateway,
  writeOAuthProject,
} from "../oauth/helpers.ts";

// Discovery documents (spec §1.7, RFC 9728, RFC 8414) and the endpoint layout: root by default, under
// `basePath` for the /__zuplo layout, discovery always at the origin root.

describe("discovery documents", () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway(writeOAuthProject());
  });
  afterAll(() => gw.stop());

  it("serves the route's protected resource metadata at the path-inserted well-known URL", async () => {
    const r = await fetch(`${gw.url}/.well-known/oauth-protected-resource${DEMO_PATH}`);
    expect(r.status).toBe(200);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(await r.json()).toEqual({
      resource: `${gw.url}${DEMO_PATH}`,
      resource_name: "demo-mcp-server summary",
      authorization_servers: [`${gw.url}${DEMO_PATH}`],
      bearer_methods_supported: ["header"],
      scopes_supported: ["mcp:tools"],
      mcp_protocol_version: "2025-11-25",
    });
  });

  it("serves per-route authorization server metadata with the route as issuer", async () => {
    const meta = (await (await fetch(`${gw.url}/.well-known/oauth-authorization-server${DEMO_PATH}`)).json()) as Record<string, unknown>;
    expect(meta).toEqual({
      issuer: `${gw.url}${DEMO_PATH}`,
      authorization_endpoint: `${gw.url}/oauth/authorize${DEMO_PATH}`,
      token_endpoint: `${gw.url}/oauth/token`,
      registration_endpoint: `${gw.url}/oauth/register`,
      revocation_endpoint: `${gw.url}/oauth/revoke`,
      scopes_supported: ["mcp:tools"],
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"],
      token_endpoint_auth_signing_alg_values_supported: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"],
      revocation_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"],
      revocation_endpoint_auth_signing_alg_values_supported: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
      "x-zuplo-browser-login-kind": "local_dev",
    });
  });

  it("serves gateway-wide metadata whose issuer is exactly the origin", async () => {
    const meta = (await (await fetch(`${gw.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(meta.issuer).toBe(gw.url);
    expect(meta.authorization_endpoint).toBe(`${gw.url}/oauth/authorize`);
  });

  it("answers CORS preflights for discovery, token, register and revoke", async () => {
    for (const path of [`/.well-known/oauth-protected-resource${DEMO_PATH}`, "/.well-known/oauth-authorization-server", "/oauth/token", "/oauth/register", "/oauth/revoke"]) {
      const r = await fetch(`${gw.url}${path}`, { method: "OPTIONS", headers: { origin: "https://inspector.example", "access-control-request-method": "POST" } });
      expect(r.status).toBe(204);
      expect(r.headers.get("access-control-allow-origin")).toBe("*");
      expect(r.headers.get("access-control-allow-headers")).toContain("mcp-protocol-version");
      expect(r.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("has no document for an unknown route, and no OpenID discovery (we are not an OpenID provider)", async () => {
    expect((await fetch(`${gw.url}/.well-known/oauth-protected-resource/mcp/nope`)).status).toBe(404);
    expect((await fetch(`${gw.url}/.well-known/openid-configuration`)).status).toBe(404);
  });
});

describe("basePath /__zuplo layout", () => {
  it("moves the OAuth endpoints under the base path and keeps discovery at the origin root", async () => {
    const gw = await startGateway(writeOAuthProject({ basePath: "/__zuplo" }));
    try {
      const meta = (await (await fetch(`${gw.url}/.well-known/oauth-authorization-server${DEMO_PATH}`)).json()) as Record<string, string>;
      expect(meta.authorization_endpoint).toBe(`${gw.url}/__zuplo/oauth/authorize${DEMO_PATH}`);
      expect(meta.token_endpoint).toBe(`${gw.url}/__zuplo/oauth/token`);
      expect((await fetch(`${gw.url}/oauth/token`, { method: "POST" })).status).toBe(404);

      const client = await registerClient(gw.url, {}, "/__zuplo");
      const { verifier, challenge } = pkcePair();
      const back = await authorizeInBrowser(new Browser(), gw.url, { clientId: client.client_id, challenge, routePath: DEMO_PATH }, "/__zuplo");
      const t = await postForm(meta.token_endpoint!, { grant_type: "authorization_code", code: back.searchParams.get("code")!, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI });
      const tokens = (await t.json()) as { access_token: string };
      expect((await mcpPost(`${gw.url}${DEMO_PATH}`, tokens.access_token)).status).toBe(200);
    } finally {
      await gw.stop();
    }
  });
});

describe("origin-derived URLs", () => {
  it("uses the configured public origin for the issuer and a __Host- Secure cookie on https", async () => {
    const dir = writeProject({
      zuplo: { ...MCP_ZUPLO, mcpgw: { publicOrigin: "https://mcp.example.com" } },
      policies: { policies: [oauthPolicy()] },
      routes: routesDoc({ [DEMO_PATH]: { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", [OAUTH_POLICY]) } }),
    });
    const gw = await startGateway(dir);
    try {
      const prm = (await (await fetch(`${gw.url}/.well-known/oauth-protected-resource${DEMO_PATH}`)).json()) as Record<string, unknown>;
      expect(prm.resource).toBe(`https://mcp.example.com${DEMO_PATH}`);
      const cookie = (await fetch(gw.devLoginUrl!, { redirect: "manual" })).headers.getSetCookie()[0]!;
      expect(cookie).toStartWith("__Host-zuplo_mcp_session=");
      expect(cookie).toContain("; Secure");
      expect(cookie).toContain("Path=/");
    } finally {
      await gw.stop();
    }
  });
});

describe("CIMD switched off", () => {
  it("does not advertise CIMD and refuses URL client ids", async () => {
    const gw = await startGateway(writeOAuthProject({ gateway: { cimdEnabled: false } }));
    try {
      const meta = (await (await fetch(`${gw.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
      expect(meta.client_id_metadata_document_supported).toBeUndefined();
      const r = await fetch(authorizeUrl(gw.url, { clientId: "https://client.example/metadata.json", challenge: pkcePair().challenge }), { redirect: "manual" });
      expect(r.status).toBe(400);
      expect(await r.text()).toContain("cimdEnabled is false");
    } finally {
      await gw.stop();
    }
  });
});
