import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK } from "jose";
import type { RunningGateway } from "../../src/cli/serve.ts";
import { CLIENT_ASSERTION_TYPE } from "../../src/oauth/client-assertion.ts";
import { CHATGPT_KID, chatGptDocument } from "../fixtures/clients/chatgpt.ts";
import { authorizeUrl, Browser, DEMO_PATH, mcpPost, pkcePair, postForm, startGateway, writeOAuthProject } from "../oauth/helpers.ts";

// private_key_jwt end to end (RFC 7523): ChatGPT's real CIMD document shape (test/fixtures/clients/chatgpt.ts)
// served from a loopback server together with its JWK Set, a real RSA key pair made by jose, the browser leg
// through dev-login and consent, then the code exchange and a refresh each authenticated by a signed client
// assertion — and the assertions the gateway must refuse. The gateway runs as `mcpgw dev`, which lets it
// fetch documents from 127.0.0.1 (in `start` the SSRF guard refuses loopback; test/oauth/jwks.test.ts).

let gw: RunningGateway;
let clientServer: ReturnType<typeof Bun.serve>;
let chatgptKey: CryptoKey;
let chatgptPublic: CryptoKey;
let jwks: { keys: JWK[] };
let jwksHits = 0;
let clientId: string;
let redirectUri: string;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  chatgptKey = pair.privateKey;
  chatgptPublic = pair.publicKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: CHATGPT_KID, use: "sig", alg: "RS256" }] };
  clientServer = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/oauth/jwks.json") {
        jwksHits++;
        return Response.json(jwks);
      }
      if (path.endsWith("/client.json")) return Response.json(chatGptDocument(`http://127.0.0.1:${clientServer.port}`));
      return new Response("not found", { status: 404 });
    },
  });
  const doc = chatGptDocument(`http://127.0.0.1:${clientServer.port}`);
  clientId = doc.client_id as string;
  redirectUri = (doc.redirect_uris as string[])[0]!;
  gw = await startGateway(writeOAuthProject({ oauthSettings: { rateLimits: { register: false } } }));
});
afterAll(async () => {
  await gw.stop();
  clientServer.stop(true);
});

const resource = () => `${gw.url}${DEMO_PATH}`;
const tokenEndpoint = () => `${gw.url}/oauth/token`;

interface Claims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  iat?: number;
  jti?: string;
}

/** A client assertion as RFC 7523 §3 describes it, signed with `key`; fields can be overridden. */
async function signAssertion(claims: Claims = {}, key: CryptoKey = chatgptKey, header: { alg: string; kid?: string } = { alg: "RS256", kid: CHATGPT_KID }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const { iss = clientId, sub = clientId, aud = tokenEndpoint(), iat = now, exp = now + 60, jti = crypto.randomUUID() } = claims;
  return new SignJWT({ jti }).setProtectedHeader(header).setIssuer(iss).setSubject(sub).setAudience(aud).setIssuedAt(iat).setExpirationTime(exp).sign(key);
}

/** A token request authenticated by `assertion`; `id` null sends no client_id (RFC 7523 §3 allows that). */
function withAssertion(params: Record<string, string>, assertion: string, id: string | null = clientId): Promise<Response> {
  return postForm(tokenEndpoint(), { ...params, ...(id ? { client_id: id } : {}), client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion });
}

/** Register nothing (CIMD), authorize in the browser, and return the code ChatGPT's redirect URI receives. */
async function codeForChatGpt(): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const browser = new Browser();
  const { page } = await browser.navigate(authorizeUrl(gw.url, { clientId, redirectUri, challenge, resource: resource(), state: "gpt" }));
  expect(page.status).toBe(200);
  expect(page.body).toContain("ChatGPT");
  const answered = await browser.submitConsent(page, "approve");
  const location = answered.headers.get("location")!;
  expect(location.startsWith(`${redirectUri}?`)).toBe(true);
  return { code: new URL(location).searchParams.get("code")!, verifier };
}

async function invalidClient(r: Response, contains: string): Promise<void> {
  const body = (await r.json()) as { error: string; error_description: string };
  expect({ status: r.status, error: body.error }).toEqual({ status: 401, error: "invalid_client" });
  expect(body.error_description).toContain(contains);
}

describe("ChatGPT's connector: CIMD document with private_key_jwt", () => {
  it("authorizes, exchanges the code and refreshes with signed assertions; refuses every bad assertion on the way", async () => {
    const { code, verifier } = await codeForChatGpt();
    const exchange = { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: redirectUri, resource: resource() };
    const now = Math.floor(Date.now() / 1000);
    const other = await generateKeyPair("RS256");
    const hmacWithPublicKey = new TextEncoder().encode(await exportSPKI(chatgptPublic));

    // Each refusal leaves the code unused: client authentication comes before the grant's checks.
    await invalidClient(await withAssertion(exchange, await signAssertion({ aud: "https://other-as.example/oauth/token" })), "aud");
    await invalidClient(await withAssertion(exchange, await signAssertion({ aud: [tokenEndpoint(), "https://other-as.example"] })), "aud");
    await invalidClient(await withAssertion(exchange, await signAssertion({ iat: now - 400, exp: now - 100 })), "expired");
    await invalidClient(await withAssertion(exchange, await signAssertion({ exp: now + 3600 })), "too long");
    await invalidClient(await withAssertion(exchange, new UnsecuredJWT({ jti: "n1" }).setIssuer(clientId).setSubject(clientId).setAudience(tokenEndpoint()).setExpirationTime(now + 60).encode()), "alg none");
    await invalidClient(await withAssertion(exchange, await signAssertion({}, hmacWithPublicKey as unknown as CryptoKey, { alg: "HS256", kid: CHATGPT_KID })), "symmetric");
    await invalidClient(await withAssertion(exchange, await signAssertion({}, other.privateKey, { alg: "RS256", kid: "unknown-kid" })), "No key");
    await invalidClient(await withAssertion(exchange, await signAssertion({}, other.privateKey, { alg: "RS256", kid: CHATGPT_KID })), "signature");
    await invalidClient(await withAssertion(exchange, await signAssertion({ iss: "https://evil.example/client.json", sub: "https://evil.example/client.json" })), "must be the client_id");
    await invalidClient(await postForm(tokenEndpoint(), { ...exchange, client_id: clientId }), "private_key_jwt");

    const first = await withAssertion(exchange, await signAssertion());
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as { access_token: string; refresh_token: string };
    expect((await mcpPost(resource(), tokens.access_token)).status).toBe(200);

    // Refresh: aud may be the issuer (the route URI, the issuer ChatGPT read from the per-route metadata),
    // and client_id may be left out (RFC 7523 §3: the assertion's sub names the client).
    const refreshAssertion = await signAssertion({ aud: resource() });
    const refreshed = await withAssertion({ grant_type: "refresh_token", refresh_token: tokens.refresh_token }, refreshAssertion, null);
    expect(refreshed.status).toBe(200);
    const rotated = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect((await mcpPost(resource(), rotated.access_token)).status).toBe(200);

    // The same assertion again: its jti is spent.
    await invalidClient(await withAssertion({ grant_type: "refresh_token", refresh_token: rotated.refresh_token }, refreshAssertion), "already used");
    // The JWK Set was fetched once and then served from the cache: an unknown kid refetches it only when the
    // last fetch is over a minute old (test/oauth/jwks.test.ts).
    expect(jwksHits).toBe(1);
  });

  it("revokes with an assertion for the revocation endpoint, and refuses to revoke its token without one", async () => {
    const { code, verifier } = await codeForChatGpt();
    const r = await withAssertion({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: redirectUri }, await signAssertion());
    const tokens = (await r.json()) as { access_token: string; refresh_token: string };
    const unauthenticated = await postForm(`${gw.url}/oauth/revoke`, { token: tokens.refresh_token });
    expect(unauthenticated.status).toBe(401);
    const revoked = await postForm(`${gw.url}/oauth/revoke`, { token: tokens.refresh_token, client_id: clientId, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await signAssertion({ aud: `${gw.url}/oauth/revoke` }) });
    expect(revoked.status).toBe(200);
    expect((await mcpPost(resource(), tokens.access_token)).status).toBe(401);
  });
});

describe("DCR clients with private_key_jwt", () => {
  async function register(body: Record<string, unknown>): Promise<Response> {
    return fetch(`${gw.url}/oauth/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ client_name: "Signed Client", redirect_uris: ["https://app.example/cb"], ...body }) });
  }

  async function tokensFor(id: string, assertion: string): Promise<Response> {
    const { verifier, challenge } = pkcePair();
    const browser = new Browser();
    const { page } = await browser.navigate(authorizeUrl(gw.url, { clientId: id, redirectUri: "https://app.example/cb", challenge, resource: resource() }));
    const back = new URL((await browser.submitConsent(page, "approve")).headers.get("location")!);
    return withAssertion({ grant_type: "authorization_code", code: back.searchParams.get("code")!, code_verifier: verifier }, assertion, id);
  }

  it("registers with inline jwks (no secret is minted) and authenticates with an ES256 assertion whose aud is the issuer", async () => {
    const pair = await generateKeyPair("ES256");
    const r = await register({ token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1" }] } });
    expect(r.status).toBe(201);
    const client = (await r.json()) as Record<string, unknown> & { client_id: string };
    expect(client.client_secret).toBeUndefined();
    expect(client.token_endpoint_auth_method).toBe("private_key_jwt");
    const t = await tokensFor(client.client_id, await signAssertion({ iss: client.client_id, sub: client.client_id, aud: gw.url }, pair.privateKey, { alg: "ES256", kid: "k1" }));
    expect(t.status).toBe(200);
  });

  it("registers with a jwks_uri and authenticates against the fetched set", async () => {
    const r = await register({ token_endpoint_auth_method: "private_key_jwt", jwks_uri: `http://127.0.0.1:${clientServer.port}/oauth/jwks.json` });
    const client = (await r.json()) as { client_id: string };
    expect(r.status).toBe(201);
    const t = await tokensFor(client.client_id, await signAssertion({ iss: client.client_id, sub: client.client_id }));
    expect(t.status).toBe(200);
  });

  it("refuses a valid assertion of one client for a code issued to another (the code stays bound to its client)", async () => {
    const pair = await generateKeyPair("ES256");
    const r = await register({ token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [await exportJWK(pair.publicKey)] } });
    const mallory = (await r.json()) as { client_id: string };
    const { code, verifier } = await codeForChatGpt();
    const stolen = await withAssertion({ grant_type: "authorization_code", code, code_verifier: verifier }, await signAssertion({ iss: mallory.client_id, sub: mallory.client_id }, pair.privateKey, { alg: "ES256" }), null);
    expect(stolen.status).toBe(400);
    expect(((await stolen.json()) as { error: string }).error).toBe("invalid_grant");
  });

  it("refuses registrations without usable public keys", async () => {
    const pair = await generateKeyPair("RS256", { extractable: true });
    const publicJwk = await exportJWK(pair.publicKey);
    const privateJwk = await exportJWK(pair.privateKey);
    for (const [body, contains] of [
      [{}, "jwks or jwks_uri"],
      [{ jwks: { keys: [publicJwk] }, jwks_uri: "https://app.example/jwks.json" }, "not both"],
      [{ jwks: { keys: [privateJwk] } }, 'private member "d"'],
      [{ jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } }, "asymmetric"],
      [{ jwks: { keys: [] } }, "1 to 20 keys"],
      [{ jwks: { keys: [publicJwk] }, token_endpoint_auth_signing_alg: "HS256" }, "HS256"],
      [{ jwks_uri: "http://app.example/jwks.json" }, "https"],
    ] as const) {
      const res = await register({ token_endpoint_auth_method: "private_key_jwt", ...body });
      const json = (await res.json()) as { error: string; error_description: string };
      expect({ contains, status: res.status, error: json.error }).toEqual({ contains, status: 400, error: "invalid_client_metadata" });
      expect(json.error_description).toContain(contains);
    }
  });
});
