import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Server } from "node:http";
import Provider from "oidc-provider";
import { z } from "zod";
import { Browser, type Page } from "../oauth/helpers.ts";

// The upstream side, real and on loopback: node-oidc-provider as the upstream's authorization server
// (dynamic registration, PKCE, RFC 8707 resource indicators, refresh-token rotation, a short access-token
// life, introspection, revocation, its dev login and consent pages), and an MCP SDK server that checks
// every bearer token by introspection and says whose token it saw (tool `whoami`).

export const UPSTREAM_SCOPE = "mcp:tools";
const RS_CLIENT = { client_id: "upstream-mcp-rs", client_secret: "rs-secret-for-introspection" };

export interface UpstreamAuthServer {
  readonly issuer: string;
  readonly provider: Provider;
  /** Revokes the grant (access and refresh tokens) that `accessToken` belongs to, as the person would at the provider. */
  revokeGrantOf(accessToken: string): Promise<void>;
  /** Revokes one access token only (its refresh token keeps working). */
  revokeAccessToken(accessToken: string): Promise<void>;
  stop(): Promise<void>;
}

export interface AuthServerOptions {
  /** Access-token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Pre-registered clients (manual registration). */
  clients?: Record<string, unknown>[];
  /** Turn dynamic client registration off (a provider where only manual registration works). */
  registration?: boolean;
  /**
   * Client ID Metadata Documents (node-oidc-provider's experimental `clientIdMetadataDocument`, draft-02):
   * https client_ids are fetched trusting `ca` (as an operator would add a CA), each fetched URL recorded in `fetched`.
   */
  clientIdMetadataDocuments?: { ca: string; fetched: string[] };
}

/**
 * The provider's outgoing fetch for CIMD: its SSRF dispatcher refuses loopback addresses (and is undici's,
 * which Bun's fetch does not take), so it is left out here; the document is fetched over real TLS.
 */
function cimdFetch(cimd: { ca: string; fetched: string[] }) {
  return (url: string | URL, init: RequestInit & { dispatcher?: unknown }) => {
    const { dispatcher: _refusesLoopback, ...rest } = init;
    cimd.fetched.push(String(url));
    return fetch(url, { ...rest, tls: { ca: cimd.ca } });
  };
}

export async function startUpstreamAuthServer(options: AuthServerOptions = {}): Promise<UpstreamAuthServer> {
  const server: Server = (await import("node:http")).createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const ttl = options.accessTokenTtl ?? 3600;
  const provider = new Provider(issuer, {
    clients: [{ ...RS_CLIENT, grant_types: [], response_types: [], redirect_uris: [] }, ...((options.clients ?? []) as never[])],
    scopes: ["openid", "offline_access", UPSTREAM_SCOPE],
    pkce: { required: () => true },
    ...(options.clientIdMetadataDocuments ? { fetch: cimdFetch(options.clientIdMetadataDocuments) } : {}),
    features: {
      registration: { enabled: options.registration ?? true },
      ...(options.clientIdMetadataDocuments ? { clientIdMetadataDocument: { enabled: true, ack: "draft-02" } } : {}),
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string | string[]) => oneOf,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({ scope: UPSTREAM_SCOPE, audience: resource, accessTokenTTL: ttl, accessTokenFormat: "opaque" }),
      },
    },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }, code: { scopes: Set<string> }) => client.grantTypeAllowed("refresh_token") && code.scopes.has("offline_access"),
    rotateRefreshToken: true,
  } as never);
  provider.on("server_error", (_ctx: unknown, err: Error) => console.error("upstream AS server_error", err));
  server.on("request", provider.callback());
  const revokeGrantOf = async (accessToken: string) => {
    const token = await provider.AccessToken.find(accessToken);
    if (!token?.grantId) throw new Error("no such access token at the upstream AS");
    for (const model of [provider.AccessToken, provider.RefreshToken, provider.AuthorizationCode]) await model.revokeByGrantId(token.grantId);
    await (await provider.Grant.find(token.grantId))?.destroy();
  };
  return {
    issuer,
    provider,
    revokeGrantOf,
    revokeAccessToken: async (accessToken) => void (await (await provider.AccessToken.find(accessToken))?.destroy()),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface TokenSighting {
  readonly sub: string;
  readonly token: string;
  readonly clientId: string;
}

export interface ProtectedMcpServer {
  readonly url: string;
  /** Every accepted token, in order: who it belongs to. */
  readonly seen: TokenSighting[];
  /** Requests refused with 401 (no, unknown, expired or revoked token). */
  readonly refused: string[];
  stop(): void;
}

/** An SDK MCP server (stateless, JSON answers) that accepts only live tokens for its own URL from `issuer`. */
export function startProtectedMcpServer(issuer: string): ProtectedMcpServer {
  const seen: TokenSighting[] = [];
  const refused: string[] = [];
  let url = "";
  const http = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/.well-known/oauth-protected-resource/mcp") {
        return Response.json({ resource: url, authorization_servers: [issuer], scopes_supported: [UPSTREAM_SCOPE, "offline_access"], bearer_methods_supported: ["header"] });
      }
      if (path !== "/mcp") return new Response("not found", { status: 404 });
      const token = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
      const challenge = () => {
        refused.push(token ?? "");
        return new Response(JSON.stringify({ error: "invalid_token" }), {
          status: 401,
          headers: { "content-type": "application/json", "www-authenticate": `Bearer error="invalid_token", resource_metadata="${new URL(url).origin}/.well-known/oauth-protected-resource/mcp", scope="${UPSTREAM_SCOPE}"` },
        });
      };
      if (!token) return challenge();
      // RFC 7662 introspection at the upstream's own authorization server.
      const introspected = await fetch(`${issuer}/token/introspection`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${RS_CLIENT.client_id}:${RS_CLIENT.client_secret}`)}` },
        body: new URLSearchParams({ token }),
      }).then((r) => r.json() as Promise<{ active: boolean; sub?: string; aud?: string | string[]; client_id?: string; scope?: string }>);
      const audience = [introspected.aud ?? []].flat();
      if (!introspected.active || !audience.includes(url) || !introspected.scope?.split(" ").includes(UPSTREAM_SCOPE)) return challenge();
      seen.push({ sub: introspected.sub!, token, clientId: introspected.client_id! });
      const server = new McpServer({ name: "protected-upstream", version: "1.0.0" });
      server.registerTool("whoami", { description: "Whose upstream token carried this call." }, async () => ({ content: [{ type: "text", text: introspected.sub! }] }));
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await server.connect(transport);
      return transport.handleRequest(request);
    },
  });
  url = `http://127.0.0.1:${http.port}/mcp`;
  return { url, seen, refused, stop: () => void http.stop(true) };
}

/**
 * Walks oidc-provider's dev interaction pages as a person would: sign in as `login`, then confirm the
 * consent screen, following redirects until a page is neither (the gateway's next page).
 */
export async function upstreamLogin(browser: Browser, startUrl: string, login: string): Promise<Page> {
  // A browser navigation says Accept: text/html, which is how the connect endpoint tells it from an API call.
  const first = await browser.request(startUrl, { headers: { accept: "text/html,application/xhtml+xml" } });
  const location = first.headers.get("location");
  let page = location ? (await browser.navigate(new URL(location, first.url).href)).page : first;
  for (let step = 0; step < 4; step++) {
    const action = /<form[^>]*action="([^"]*\/interaction\/[^"]*)"/.exec(page.body)?.[1];
    if (!action) return page;
    const prompt = /name="prompt" value="([^"]+)"/.exec(page.body)?.[1];
    const fields: Record<string, string> = prompt === "login" ? { prompt, login, password: "any" } : { prompt: prompt ?? "consent" };
    const posted = await browser.request(new URL(action, page.url).href, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) });
    const next = posted.headers.get("location");
    if (!next) throw new Error(`upstream interaction answered ${posted.status}: ${posted.body.slice(0, 300)}`);
    ({ page } = await browser.navigate(new URL(next, posted.url).href));
  }
  throw new Error("the upstream login did not finish");
}
