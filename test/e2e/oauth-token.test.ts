import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { RunningGateway } from "../../src/cli/serve.ts";
import {
  authorizeInBrowser,
  Browser,
  DEMO_PATH,
  mcpPost,
  obtainTokens,
  pkcePair,
  postForm,
  REDIRECT_URI,
  registerClient,
  startGateway,
  writeOAuthProject,
  type IssuedTokens,
} from "../oauth/helpers.ts";

// The token and revocation endpoints over real HTTP: code exchange, PKCE, resource binding, replay and
// rotation-reuse detection (each revoking what it must), client authentication, RFC 6749 error bodies.

let gw: RunningGateway;
const OTHER_PATH = "/mcp/other-v1";
beforeAll(async () => {
  gw = await startGateway(writeOAuthProject({ routes: { [DEMO_PATH]: "demo-mcp-server", [OTHER_PATH]: "other-mcp-server" } }));
});
afterAll(() => gw.stop());

const tokenUrl = () => `${gw.url}/oauth/token`;
const resource = () => `${gw.url}${DEMO_PATH}`;

/** A code for a fresh public client, plus everything needed to exchange it. */
async function freshCode(metadata: Record<string, unknown> = {}) {
  const client = await registerClient(gw.url, metadata);
  const { verifier, challenge } = pkcePair();
  const back = await authorizeInBrowser(new Browser(), gw.url, { clientId: client.client_id, challenge, resource: resource(), state: "s" });
  return { client, verifier, code: back.searchParams.get("code")! };
}

async function expectOAuthError(response: Response, error: string, status = 400): Promise<Record<string, string>> {
  const body = (await response.json()) as Record<string, string>;
  expect({ status: response.status, error: body.error }).toEqual({ status, error });
  expect(typeof body.error_description).toBe("string");
  expect(response.headers.get("cache-control")).toBe("no-store");
  return body;
}

async function exchange(c: Awaited<ReturnType<typeof freshCode>>, overrides: Record<string, string | undefined> = {}) {
  return postForm(tokenUrl(), { grant_type: "authorization_code", code: c.code, code_verifier: c.verifier, client_id: c.client.client_id, redirect_uri: REDIRECT_URI, resource: resource(), ...overrides });
}

describe("authorization_code grant", () => {
  it("issues opaque at_/rt_ tokens bound to the route, with no-store", async () => {
    const c = await freshCode();
    const r = await exchange(c);
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    const t = (await r.json()) as IssuedTokens;
    expect(t.access_token).toMatch(/^at_[A-Za-z0-9_-]{43}$/);
    expect(t.refresh_token).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
    expect(t).toMatchObject({ token_type: "Bearer", expires_in: 900, scope: "mcp:tools", resource: resource() });
    expect((await mcpPost(resource(), t.access_token)).status).toBe(200);
  });

  it("refuses a wrong code_verifier with invalid_grant, and a missing one with invalid_request", async () => {
    const c = await freshCode();
    await expectOAuthError(await exchange(c, { code_verifier: pkcePair().verifier }), "invalid_grant");
    await expectOAuthError(await exchange(c, { code_verifier: undefined }), "invalid_request");
    // A failed attempt is not a use: the right verifier still works.
    expect((await exchange(c)).status).toBe(200);
  });

  it("refuses another resource with invalid_target (RFC 8707)", async () => {
    const c = await freshCode();
    await expectOAuthError(await exchange(c, { resource: `${gw.url}${OTHER_PATH}` }), "invalid_target");
  });

  it("accepts the request without resource, binding the code's resource", async () => {
    const c = await freshCode();
    const t = (await (await exchange(c, { resource: undefined })).json()) as IssuedTokens;
    expect(t.resource).toBe(resource());
  });

  it("refuses a different redirect_uri, another client's code, and an unknown code", async () => {
    const c = await freshCode();
    await expectOAuthError(await exchange(c, { redirect_uri: "http://127.0.0.1:53682/other" }), "invalid_grant");
    const other = await registerClient(gw.url);
    await expectOAuthError(await exchange(c, { client_id: other.client_id }), "invalid_grant");
    await expectOAuthError(await exchange(c, { code: "ac_" + "A".repeat(43) }), "invalid_grant");
  });

  it("refuses a reused code and revokes every token issued from it", async () => {
    const c = await freshCode();
    const first = (await (await exchange(c)).json()) as IssuedTokens;
    expect((await mcpPost(resource(), first.access_token)).status).toBe(200);
    await expectOAuthError(await exchange(c), "invalid_grant");
    const after = await mcpPost(resource(), first.access_token);
    expect(after.status).toBe(401);
    expect(after.headers.get("www-authenticate")).toContain('error="invalid_token"');
    await expectOAuthError(await postForm(tokenUrl(), { grant_type: "refresh_token", refresh_token: first.refresh_token, client_id: c.client.client_id }), "invalid_grant");
  });

  it("answers unsupported and missing grant types", async () => {
    const c = await freshCode();
    await expectOAuthError(await exchange(c, { grant_type: "password" }), "unsupported_grant_type");
    await expectOAuthError(await exchange(c, { grant_type: undefined }), "invalid_request");
  });

  it("wants a form body and each parameter once", async () => {
    const json = await fetch(tokenUrl(), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    await expectOAuthError(json, "invalid_request");
    const twice = await fetch(tokenUrl(), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=authorization_code&grant_type=refresh_token&client_id=x" });
    await expectOAuthError(twice, "invalid_request");
  });
});

describe("refresh_token grant", () => {
  it("rotates the refresh token and keeps the route binding", async () => {
    const { clientId, tokens } = await obtainTokens(gw.url);
    const r = await postForm(tokenUrl(), { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: clientId, resource: resource() });
    const next = (await r.json()) as IssuedTokens;
    expect(r.status).toBe(200);
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(next.access_token).not.toBe(tokens.access_token);
    expect(next.resource).toBe(resource());
    expect((await mcpPost(resource(), next.access_token)).status).toBe(200);
  });

  it("revokes the whole grant when a rotated refresh token comes back", async () => {
    const { clientId, tokens } = await obtainTokens(gw.url);
    const refresh = (rt: string) => postForm(tokenUrl(), { grant_type: "refresh_token", refresh_token: rt, client_id: clientId });
    const second = (await (await refresh(tokens.refresh_token!)).json()) as IssuedTokens;
    await expectOAuthError(await refresh(tokens.refresh_token!), "invalid_grant");
    // Everything in the family is dead now, the newest pair included.
    expect((await mcpPost(resource(), second.access_token)).status).toBe(401);
    await expectOAuthError(await refresh(second.refresh_token!), "invalid_grant");
  });

  it("refuses another client's refresh token, another resource, and an unknown token", async () => {
    const { clientId, tokens } = await obtainTokens(gw.url);
    const other = await registerClient(gw.url);
    await expectOAuthError(await postForm(tokenUrl(), { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: other.client_id }), "invalid_grant");
    await expectOAuthError(await postForm(tokenUrl(), { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: clientId, resource: `${gw.url}${OTHER_PATH}` }), "invalid_target");
    await expectOAuthError(await postForm(tokenUrl(), { grant_type: "refresh_token", refresh_token: "rt_nope", client_id: clientId }), "invalid_grant");
  });

  it("issues no refresh token to a client that registered only authorization_code", async () => {
    const c = await freshCode({ grant_types: ["authorization_code"] });
    const t = (await (await exchange(c)).json()) as IssuedTokens;
    expect(t.refresh_token).toBeUndefined();
  });
});

describe("client authentication", () => {
  it("authenticates a confidential client with client_secret_basic, and answers a wrong secret 401 with a Basic challenge", async () => {
    const c = await freshCode({ token_endpoint_auth_method: "client_secret_basic" });
    const secret = String(c.client.client_secret);
    expect(secret).toStartWith("cs_");
    const basic = (s: string) => ({ authorization: `Basic ${btoa(`${c.client.client_id}:${s}`)}` });
    const params = { grant_type: "authorization_code", code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT_URI };
    const wrong = await postForm(tokenUrl(), params, basic("cs_wrong"));
    await expectOAuthError(wrong, "invalid_client", 401);
    expect(wrong.headers.get("www-authenticate")).toBe('Basic realm="OAuth"');
    expect((await postForm(tokenUrl(), params, basic(secret))).status).toBe(200);
  });

  it("authenticates client_secret_post, and refuses the public method for a confidential client", async () => {
    const c = await freshCode({ token_endpoint_auth_method: "client_secret_post" });
    await expectOAuthError(await exchange(c), "invalid_client", 401);
    expect((await exchange(c, { client_secret: String(c.client.client_secret) })).status).toBe(200);
  });

  it("refuses a request that names no client", async () => {
    await expectOAuthError(await postForm(tokenUrl(), { grant_type: "authorization_code", code: "ac_x", code_verifier: "v" }), "invalid_client", 401);
  });
});

describe("revocation (RFC 7009)", () => {
  const revokeUrl = () => `${gw.url}/oauth/revoke`;

  it("answers 200 with an empty body for unknown tokens", async () => {
    const r = await postForm(revokeUrl(), { token: "at_unknown" });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("");
  });

  it("revokes an access token: the next MCP call gets 401 invalid_token", async () => {
    const { clientId, tokens } = await obtainTokens(gw.url);
    expect((await mcpPost(resource(), tokens.access_token)).status).toBe(200); // now cached
    expect((await postForm(revokeUrl(), { token: tokens.access_token, client_id: clientId, token_type_hint: "access_token" })).status).toBe(200);
    const r = await mcpPost(resource(), tokens.access_token);
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("revokes the whole grant when given the refresh token", async () => {
    const { clientId, tokens } = await obtainTokens(gw.url);
    expect((await mcpPost(resource(), tokens.access_token)).status).toBe(200);
    expect((await postForm(revokeUrl(), { token: tokens.refresh_token })).status).toBe(200);
    expect((await mcpPost(resource(), tokens.access_token)).status).toBe(401);
    await expectOAuthError(await postForm(tokenUrl(), { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: clientId }), "invalid_grant");
  });

  it("does not let one client revoke another's token", async () => {
    const { tokens } = await obtainTokens(gw.url);
    const other = await registerClient(gw.url);
    expect((await postForm(revokeUrl(), { token: tokens.access_token, client_id: other.client_id })).status).toBe(200);
    expect((await mcpPost(resource(), tokens.access_token)).status).toBe(200);
  });

  it("wants the token parameter", async () => {
    await expectOAuthError(await postForm(revokeUrl(), { client_id: "x" }), "invalid_request");
  });
});
