import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { RunningGateway } from "../../src/cli/serve.ts";
import { authorizeInBrowser, Browser, DEMO_PATH, mcpPost, pkcePair, postForm, registerClient, REDIRECT_URI, startGateway, writeOAuthProject, type IssuedTokens } from "./helpers.ts";

// Issue 18 (low): a used authorization code replayed by anyone — any client_id, no verifier — revoked
// its owner's grant. OAuth 2.1 §4.1.3: the code must belong to the authenticated client (and here its
// PKCE verifier must match) before a replay counts and revokes. Real gateway, real tokens, real calls.

let gw: RunningGateway;
beforeAll(async () => {
  gw = await startGateway(writeOAuthProject());
});
afterAll(() => gw.stop());

const resource = () => `${gw.url}${DEMO_PATH}`;

/** A victim who signed in and exchanged their code: the code is now used. */
async function victim() {
  const client = await registerClient(gw.url);
  const { verifier, challenge } = pkcePair();
  const back = await authorizeInBrowser(new Browser(), gw.url, { clientId: client.client_id, challenge, resource: resource(), state: "s" });
  const code = back.searchParams.get("code")!;
  const res = await postForm(`${gw.url}/oauth/token`, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI });
  expect(res.status).toBe(200);
  return { clientId: client.client_id, code, verifier, tokens: (await res.json()) as IssuedTokens };
}

const replay = (code: string, clientId: string, verifier: string) =>
  postForm(`${gw.url}/oauth/token`, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT_URI });

describe("replay of a used authorization code", () => {
  it("by another client is refused and leaves the owner's tokens working", async () => {
    const v = await victim();
    const attacker = await registerClient(gw.url);
    const r = await replay(v.code, attacker.client_id, pkcePair().verifier);
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining("another client") });
    expect((await mcpPost(resource(), v.tokens.access_token)).status).toBe(200);
  });

  it("under the owner's client_id but without its PKCE verifier is refused and revokes nothing", async () => {
    const v = await victim();
    const r = await replay(v.code, v.clientId, pkcePair().verifier);
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining("code_verifier") });
    expect((await mcpPost(resource(), v.tokens.access_token)).status).toBe(200);
  });

  it("by the owner with its verifier (the code leaked and was used first) still revokes the grant", async () => {
    const v = await victim();
    const r = await replay(v.code, v.clientId, v.verifier);
    expect(await r.json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining("revoked") });
    expect((await mcpPost(resource(), v.tokens.access_token)).status).toBe(401);
  });
});
