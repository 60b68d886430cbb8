import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { authorizeUrl, Browser, pkcePair, REDIRECT_URI, rememberDevLoginLink } from "../oauth/helpers.ts";
import { callTool, connectAndAuthorize, connectLink, pickPerson, ROUTE, startUpstreamGateway, writeUpstreamProject, type Gateway } from "./flow.ts";
import { startProtectedMcpServer, startUpstreamAuthServer, UPSTREAM_SCOPE, upstreamLogin, type ProtectedMcpServer, type UpstreamAuthServer } from "./peers.ts";
import { frontPort, makeTestCa, startTlsFront, type TestCa, type TlsFront } from "./tls-front.ts";

// `clientRegistration: auto` choosing a Client ID Metadata Document, end to end with real peers: the
// gateway behind nginx terminating TLS (a CA made by openssl for this run) with mcpgw.publicOrigin set to
// that https origin; node-oidc-provider 9.13.3 as the upstream's authorization server with its
// experimental clientIdMetadataDocument feature (draft-02) on, which fetches the gateway's document from
// its https client_id over real TLS trusting the test CA (peers.ts: only the provider's loopback-refusing
// SSRF dispatcher is left out); an SDK MCP server that introspects every token. Nothing is mocked.

const SCOPES = [UPSTREAM_SCOPE, "offline_access"];

describe("per-user upstream OAuth registered by Client ID Metadata Document (gateway on an https origin)", () => {
  let ca: TestCa;
  let front: TlsFront;
  let as: UpstreamAuthServer;
  let upstream: ProtectedMcpServer;
  let gw: Gateway;
  let origin: string;
  let documentUrl: string;
  let alice: string;
  const fetched: string[] = [];
  /** A client on this machine that trusts the test CA (the SDK client, the token request). */
  const httpsFetch = (url: string | URL, init: RequestInit = {}) => fetch(url, { ...init, tls: { ca: ca.ca } });

  beforeAll(async () => {
    ca = makeTestCa();
    as = await startUpstreamAuthServer({ clientIdMetadataDocuments: { ca: ca.ca, fetched } });
    upstream = startProtectedMcpServer(as.issuer);
    const port = frontPort();
    origin = `https://127.0.0.1:${port}`;
    documentUrl = `${origin}/.well-known/oauth-client/linear`;
    gw = await startUpstreamGateway(writeUpstreamProject(upstream.url, { scopes: SCOPES }, ["alice", "bob"], { publicOrigin: origin }));
    front = await startTlsFront(ca, port, gw.url);
    // The browser opens the dev-login start-up link under the https origin it signs in at.
    rememberDevLoginLink(`${origin}/oauth/dev-login?key=${new URL(gw.devLoginUrl!).searchParams.get("key")}`);
  });
  afterAll(async () => {
    await front?.stop();
    await gw?.stop();
    upstream?.stop();
    await as?.stop();
  });

  /** dev-login → consent → Connect → the upstream's login and consent → back → Authorize; the gateway token. */
  async function connectOverHttps(person: string, upstreamAccount: string): Promise<string> {
    const browser = new Browser({ tls: { ca: ca.ca } });
    const registered = await httpsFetch(`${origin}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_name: "CIMD test client", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none" }),
    });
    expect(registered.status).toBe(201);
    const clientId = ((await registered.json()) as { client_id: string }).client_id;
    const { verifier, challenge } = pkcePair();
    const resource = `${origin}${ROUTE}`;
    const { page } = await browser.navigate(authorizeUrl(origin, { clientId, challenge, resource, state: "s" }));
    const consent = await pickPerson(browser, page, person);
    expect(consent.url).toStartWith(`${origin}/oauth/setup`);
    const link = connectLink(consent);
    expect(link).toContain("/auth/connections/linear/connect?browserTicket=bt_");
    const back = await upstreamLogin(browser, new URL(link!, origin).href, upstreamAccount);
    expect(back.url).toStartWith(`${origin}/oauth/setup`);
    const answered = await browser.submitConsent(back, "approve");
    const code = new URL(answered.headers.get("location") ?? "about:blank").searchParams.get("code");
    expect(code).toBeString();
    const token = await httpsFetch(`${origin}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: code!, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT_URI, resource }),
    });
    expect(token.status).toBe(200);
    return ((await token.json()) as { access_token: string }).access_token;
  }

  /** The stock SDK client over https (its fetch trusts the test CA), calling `whoami`. */
  async function whoami(token: string): Promise<string | undefined> {
    const client = new Client({ name: "upstream-cimd-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${origin}${ROUTE}`), { fetch: httpsFetch, requestInit: { headers: { authorization: `Bearer ${token}` } } });
    try {
      await client.connect(transport);
      const result = await client.callTool({ name: "whoami", arguments: {} });
      return (result.content as { text: string }[])[0]?.text;
    } finally {
      await client.close().catch(() => undefined);
    }
  }

  it("the upstream's authorization server advertises CIMD next to dynamic registration (the choice is the gateway's)", async () => {
    const metadata = (await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.client_id_metadata_document_supported).toBe(true);
    expect(metadata.registration_endpoint).toBeString();
  });

  it("serves the gateway's client metadata document at its https client_id", async () => {
    const response = await httpsFetch(documentUrl);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      client_id: documentUrl,
      redirect_uris: [`${origin}/auth/connections/linear/callback`],
      grant_types: ["authorization_code", "refresh_token"],
      token_endpoint_auth_method: "none",
    });
  });

  it("connects alice with the https client_id: the upstream fetched the document, and the SDK client's call carries alice's token", async () => {
    const fetchedBefore = fetched.length;
    alice = await connectOverHttps("alice", "alice-at-linear");
    // The authorization server resolved the gateway's client_id by fetching it, through the TLS front.
    expect(fetched.slice(fetchedBefore)).toContain(documentUrl);
    expect(front.accessLog()).toMatch(/"GET \/\.well-known\/oauth-client\/linear HTTP\/1\.1" 200 /);
    expect(gw.logs.filter((l) => l.event === "mcp_auth_upstream_connection_established").at(-1)).toMatchObject({ upstreamServerId: "linear", subjectId: "alice" });

    expect(await whoami(alice)).toBe("alice-at-linear");
    // The upstream saw alice's own token, issued to the gateway's CIMD client_id (no DCR client).
    expect(upstream.seen.at(-1)).toMatchObject({ sub: "alice-at-linear", clientId: documentUrl });
  });

  it("gives bob his own connection under the same client_id", async () => {
    const bob = await connectOverHttps("bob", "bob-at-linear");
    expect(await whoami(bob)).toBe("bob-at-linear");
    expect(await whoami(alice)).toBe("alice-at-linear");
    const bySub = new Map(upstream.seen.map((s) => [s.sub, s]));
    expect(bySub.get("bob-at-linear")!.clientId).toBe(documentUrl);
    expect(bySub.get("bob-at-linear")!.token).not.toBe(bySub.get("alice-at-linear")!.token);
  });

  it("refreshes as the CIMD client: after the upstream drops alice's access token, one request refreshes and retries", async () => {
    const last = upstream.seen.filter((s) => s.sub === "alice-at-linear").at(-1)!;
    await as.revokeAccessToken(last.token);
    const viaFront = await httpsFetch(`${origin}${ROUTE}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${alice}` },
      body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "whoami", arguments: {} } }),
    });
    expect(viaFront.status).toBe(200);
    expect(JSON.stringify(await viaFront.json())).toContain("alice-at-linear");
    const refreshed = upstream.seen.at(-1)!;
    expect(refreshed).toMatchObject({ sub: "alice-at-linear", clientId: documentUrl });
    expect(refreshed.token).not.toBe(last.token);
    const requestId = viaFront.headers.get("x-request-id");
    const completions = gw.logs.filter((l) => l.event === "capability_invocation_completed" && l.requestId === requestId);
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ outcome: "success", upstreamAttempts: 2 });
  });

  it("the same upstream behind a gateway on a plain-http origin registers by DCR instead (CIMD needs https)", async () => {
    const plain = await startUpstreamGateway(writeUpstreamProject(upstream.url, { scopes: SCOPES }, ["carol"]));
    try {
      const fetchedBefore = fetched.length;
      const { token } = await connectAndAuthorize(plain.url, "carol", "carol-at-linear");
      expect(await callTool(plain.url, token)).toEqual({ text: "carol-at-linear" });
      const carol = upstream.seen.at(-1)!;
      expect(carol.sub).toBe("carol-at-linear");
      expect(carol.clientId).not.toStartWith("http");
      expect(fetched.length).toBe(fetchedBefore);
    } finally {
      await plain.stop();
    }
  });
});
