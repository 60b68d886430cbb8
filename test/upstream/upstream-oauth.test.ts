import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { mcpPost } from "../oauth/helpers.ts";
import { callTool, connectAndAuthorize, connectLink, openConsent, ROUTE, startUpstreamGateway, writeUpstreamProject, type Gateway } from "./flow.ts";
import { startProtectedMcpServer, startUpstreamAuthServer, upstreamLogin, type ProtectedMcpServer, type UpstreamAuthServer } from "./peers.ts";
import { main } from "../../src/cli/main.ts";

// Per-user upstream OAuth end to end over HTTP, against a real upstream: node-oidc-provider as its
// authorization server and an SDK MCP server that introspects every token. Nothing on the upstream
// side is mocked.

describe("per-user upstream OAuth (user-oauth, dynamic client registration)", () => {
  let as: UpstreamAuthServer;
  let upstream: ProtectedMcpServer;
  let gw: Gateway;
  let project: string;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    as = await startUpstreamAuthServer({ accessTokenTtl: 3600 });
    upstream = startProtectedMcpServer(as.issuer);
    project = writeUpstreamProject(upstream.url, { scopes: ["mcp:tools", "offline_access"] });
    gw = await startUpstreamGateway(project);
  });
  afterAll(async () => {
    await gw?.stop();
    upstream?.stop();
    await as?.stop();
  });

  it("shows Connect on the consent page and keeps Authorize disabled until the person connects", async () => {
    const { consent } = await openConsent(gw.url, "carol");
    expect(consent.body).toContain("Linear issues, as you.");
    expect(connectLink(consent)).toContain("/auth/connections/linear/connect?browserTicket=bt_");
    expect(consent.body).toMatch(/value="approve" class="primary" disabled/);
  });

  it("connects alice on the consent page; the SDK client's call reaches the upstream with alice's own token", async () => {
    ({ token: alice } = await connectAndAuthorize(gw.url, "alice", "alice-at-linear"));
    expect(await callTool(gw.url, alice)).toEqual({ text: "alice-at-linear" });
    expect(upstream.seen.at(-1)!.sub).toBe("alice-at-linear");
    const established = gw.logs.filter((l) => l.event === "mcp_auth_upstream_connection_established");
    expect(established.at(-1)).toMatchObject({ upstreamServerId: "linear", authProfileId: "linear:user-oauth", upstreamAuthMode: "user-oauth", subjectId: "alice" });
  });

  it("gives bob his own connection: each person's calls carry their own upstream token", async () => {
    ({ token: bob } = await connectAndAuthorize(gw.url, "bob", "bob-at-linear"));
    expect(await callTool(gw.url, bob)).toEqual({ text: "bob-at-linear" });
    expect(await callTool(gw.url, alice)).toEqual({ text: "alice-at-linear" });
    const tokens = new Map(upstream.seen.map((s) => [s.sub, s.token]));
    expect(tokens.get("alice-at-linear")).not.toBe(tokens.get("bob-at-linear"));
    // The completion events carry the analytics fields of spec §H22.
    const completed = gw.logs.filter((l) => l.event === "capability_invocation_completed").at(-1)!;
    expect(completed).toMatchObject({ upstreamServerId: "linear", authProfileId: "linear:user-oauth", upstreamAuthMode: "user-oauth", outcome: "success", subjectId: "alice" });
  });

  it("registered the gateway with the upstream by RFC 7591 DCR (no CIMD on an http origin)", async () => {
    const clientIds = new Set(upstream.seen.map((s) => s.clientId));
    expect(clientIds.size).toBe(1);
  });

  it("on an upstream 401 refreshes and retries once inside the same request: one completion event", async () => {
    await as.revokeAccessToken(upstream.seen.filter((s) => s.sub === "alice-at-linear").at(-1)!.token);
    const refusedBefore = upstream.refused.length;
    const response = await mcpPost(`${gw.url}${ROUTE}`, alice, { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "whoami", arguments: {} } });
    expect(response.status).toBe(200);
    expect(JSON.stringify(await response.json())).toContain("alice-at-linear");
    expect(upstream.refused.length).toBe(refusedBefore + 1);
    const requestId = response.headers.get("x-request-id");
    const completions = gw.logs.filter((l) => l.event === "capability_invocation_completed" && l.requestId === requestId);
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ outcome: "success", upstreamAttempts: 2 });
  });

  it("when the upstream revokes the grant, answers -32042 reconsent_required with an authUrl that works", async () => {
    await as.revokeGrantOf(upstream.seen.filter((s) => s.sub === "bob-at-linear").at(-1)!.token);
    const response = await mcpPost(`${gw.url}${ROUTE}`, bob, { jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "whoami", arguments: {} } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { id: number; error: { code: number; message: string; data: Record<string, unknown> & { elicitations: { mode: string; url: string }[] } } };
    expect(body.id).toBe(9);
    expect(body.error.code).toBe(-32042);
    expect(body.error.message).toBe("Linear authorization must be renewed.");
    expect(body.error.data).toMatchObject({ state: "reconsent_required", upstreamServerId: "linear", operationId: "linear-mcp-server", nextAction: "redirect", authProfileId: "linear:user-oauth" });
    const authUrl = body.error.data.authUrl as string;
    expect(authUrl).toStartWith(`${gw.url}/auth/connections/linear/connect?browserTicket=bt_`);
    expect(body.error.data.elicitations[0]).toMatchObject({ mode: "url", url: authUrl });
    // The upstream was called (and refused): one completion event for the request, and the auth event
    // saying why; the ticket is never logged.
    const requestId = response.headers.get("x-request-id");
    const completions = gw.logs.filter((l) => l.event === "capability_invocation_completed" && l.requestId === requestId);
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ outcome: "denied", upstreamStatus: 401, upstreamServerId: "linear" });
    expect(gw.logs.find((l) => l.event === "mcp_auth_upstream_connect_required" && l.requestId === requestId)).toMatchObject({ connectState: "reconsent_required", reasonCode: "connect_required" });
    expect(JSON.stringify(gw.logs)).not.toContain(authUrl.split("browserTicket=")[1]!.split("&")[0]!);

    // The SDK client sees the URL elicitation, and the link works in bob's browser.
    const seen = await callTool(gw.url, bob);
    expect(seen.error?.code).toBe(-32042);
    const { signedIn } = { signedIn: await openConsent(gw.url, "bob") };
    const done = await upstreamLogin(signedIn.browser, authUrl, "bob-at-linear");
    expect(done.status).toBe(200);
    expect(done.body).toContain("Linear connected");
    expect(await callTool(gw.url, bob)).toEqual({ text: "bob-at-linear" });
  });

  it("refuses a connect link in a browser signed in as someone else", async () => {
    const response = await mcpPost(`${gw.url}${ROUTE}`, bob);
    expect(response.status).toBe(200);
    const { signedIn } = { signedIn: await openConsent(gw.url, "carol") };
    const { consent } = signedIn;
    const carolLink = connectLink(consent)!;
    // A link minted for carol, opened in alice's browser.
    const aliceBrowser = (await openConsent(gw.url, "alice")).browser;
    const page = await aliceBrowser.request(new URL(carolLink, gw.url).href, { headers: { accept: "text/html" } });
    expect(page.status).toBe(403);
    expect(page.body).toContain("browser_session_mismatch");
    // Without a browser (no text/html), the link answers 428 with the connect-required payload.
    const api = await fetch(new URL(carolLink.replace("&redirect=true", ""), gw.url), { headers: { accept: "application/json" } });
    expect(api.status).toBe(428);
    expect(((await api.json()) as { error: { code: number } }).error.code).toBe(-32042);
  });

  it("mcpgw connections list and revoke: a revoked person is asked to connect again (authenticating)", async () => {
    const out: string[] = [];
    const io = { out: (s: string) => void out.push(s), err: (s: string) => void out.push(s) };
    expect(await main(["connections", "list", "--project", project, "--data-dir", gw.dataDir, "--json"], io)).toBe(0);
    const listed = JSON.parse(out.pop()!) as { connections: { subject: string; upstreamId: string; status: string }[] };
    expect(listed.connections.map((c) => c.subject).sort()).toEqual(["alice", "bob"]);
    expect(JSON.stringify(listed)).not.toContain(upstream.seen.at(-1)!.token);

    expect(await main(["connections", "revoke", "--subject", "alice", "--project", project, "--data-dir", gw.dataDir, "--json"], io)).toBe(0);
    expect((JSON.parse(out.pop()!) as { revoked: unknown[] }).revoked).toHaveLength(1);
    gw.reload(); // the running gateway's cache goes on reload (else within a minute)
    // The SDK client keeps only the elicitations of the error's data; the raw answer has the state.
    expect((await callTool(gw.url, alice)).error?.code).toBe(-32042);
    const again = (await (await mcpPost(`${gw.url}${ROUTE}`, alice)).json()) as { error: { message: string; data: { state: string } } };
    expect(again.error.data.state).toBe("authenticating");
    expect(again.error.message).toBe("Connect Linear to continue.");
    // No connection: nothing is forwarded; mcp_request_rejected with outcome and reasonCode connect_required.
    expect(gw.logs.filter((l) => l.event === "mcp_request_rejected" && l.reasonCode === "connect_required").at(-1)).toMatchObject({ outcome: "connect_required", jsonRpcErrorCode: -32042, upstreamServerId: "linear", subjectId: "alice" });
  });

  it("keeps no upstream token in plaintext in the SQLite files", async () => {
    const files = readdirSync(gw.dataDir).filter((f) => f.startsWith("mcpgw.sqlite"));
    expect(files).toContain("mcpgw.sqlite");
    const bytes = files.map((f) => readFileSync(join(gw.dataDir, f)).toString("latin1")).join("\n");
    expect(bytes).toContain("linear:user-oauth"); // sanity: the connections are in these files
    expect(upstream.seen.length).toBeGreaterThan(3);
    for (const { token } of upstream.seen) expect(bytes).not.toContain(token);
  });
});
