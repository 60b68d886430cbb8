import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { startGateway, type GatewayUnderTest } from "../helpers/gateway.ts";
import { mcpRoute, MCP_ZUPLO, routesDoc } from "../helpers/project.ts";
import { authorizeUrl, Browser, type Page, pkcePair, registerClient } from "../oauth/helpers.ts";

// What the gateway refuses from an IdP, each with its documented code (docs/idp/README.md#error-codes).
// oidc-provider only mints correct ID tokens, so for the token-signing cases the IdP here is a tiny one
// of our own built on jose: its /authorize answers at once with a code (or an error), its /token returns
// an ID token shaped by the case under test, its /jwks serves the keys and counts fetches. Everything
// else is real: the gateway under `mcpgw start`, HTTP on loopback, the SQLite store.

type Forge = (claims: Record<string, unknown>) => Promise<string> | string;

interface TinyIdp {
  readonly url: string;
  jwksFetches: number;
  /** Published signing keys. */
  published: JWK[];
  /** How the next ID token is made from the claims a correct IdP would sign. */
  forge: Forge;
  /** Delay of the token endpoint. */
  tokenDelayMs: number;
  /** An RFC 6749 error from the token endpoint instead of tokens. */
  tokenError?: string;
  /** The last nonce seen at /authorize. */
  nonces: string[];
  stop(): void;
}

const CLIENT_ID = "mcpgw-test";
const SECRET = "tiny-idp-secret-value-0123456789";
const PATH = "/mcp/demo-v1";

async function rsaKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } as JWK };
}

const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding. */
function basicCredentialsMatch(header: string | null): boolean {
  const decoded = header?.startsWith("Basic ") ? atob(header.slice(6)) : "";
  const [id, secret] = decoded.split(":").map((p) => decodeURIComponent(p.replace(/\+/g, " ")));
  return id === CLIENT_ID && secret === SECRET;
}

type Sign = (claims: Record<string, unknown>, kid?: string, key?: CryptoKey) => Promise<string>;

async function startTinyIdp(): Promise<TinyIdp & { sign: Sign; other: Awaited<ReturnType<typeof rsaKey>> }> {
  const main = await rsaKey("k1");
  const other = await rsaKey("k1"); // same kid, different key: a forged signature
  const codes = new Map<string, string>(); // code → nonce
  const sign: Sign = (claims, kid = "k1", key = main.privateKey) => new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid }).sign(key);
  let idp!: TinyIdp & { sign: typeof sign; other: typeof other };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname === "/jwks") {
        idp.jwksFetches++;
        return Response.json({ keys: idp.published });
      }
      if (url.pathname === "/authorize") {
        const back = new URL(url.searchParams.get("redirect_uri")!);
        back.searchParams.set("state", url.searchParams.get("state")!);
        if (url.searchParams.get("login_hint") === "deny") back.searchParams.set("error", "access_denied");
        else {
          const code = crypto.randomUUID();
          codes.set(code, url.searchParams.get("nonce")!);
          idp.nonces.push(url.searchParams.get("nonce")!);
          back.searchParams.set("code", code);
        }
        return Response.redirect(back.href, 302);
      }
      if (url.pathname === "/token" && request.method === "POST") {
        if (!basicCredentialsMatch(request.headers.get("authorization"))) return Response.json({ error: "invalid_client" }, { status: 401 });
        const form = new URLSearchParams(await request.text());
        const nonce = codes.get(form.get("code") ?? "");
        codes.delete(form.get("code") ?? "");
        if (idp.tokenDelayMs) await Bun.sleep(idp.tokenDelayMs);
        if (nonce === undefined) return Response.json({ error: "invalid_grant", error_description: "unknown code" }, { status: 400 });
        if (idp.tokenError) return Response.json({ error: idp.tokenError }, { status: 400 });
        const claims = { iss: idp.url, aud: CLIENT_ID, sub: "carol", email: "carol@example.com", nonce, iat: now(), exp: now() + 300 };
        return Response.json({ access_token: "opaque-at", token_type: "Bearer", expires_in: 300, id_token: await idp.forge(claims) });
      }
      return new Response("not found", { status: 404 });
    },
  });
  idp = {
    url: `http://127.0.0.1:${server.port}`,
    jwksFetches: 0,
    published: [main.jwk],
    forge: (claims) => sign(claims),
    tokenDelayMs: 0,
    nonces: [],
    stop: () => server.stop(true),
    sign,
    other,
  };
  return idp;
}

async function gatewayFor(idp: TinyIdp, extra: Record<string, unknown> = {}): Promise<GatewayUnderTest> {
  return startGateway({
    zuplo: MCP_ZUPLO,
    policies: {
      policies: [
        {
          name: "oauth",
          policyType: "mcp-oauth-inbound",
          handler: {
            module: "$import(@zuplo/runtime/mcp-gateway)",
            export: "McpOAuthInboundPolicy",
            options: {
              oidc: { issuer: idp.url, jwksUrl: `${idp.url}/jwks` },
              browserLogin: { url: `${idp.url}/authorize`, tokenUrl: `${idp.url}/token`, clientId: CLIENT_ID, clientSecret: SECRET, ...extra },
            },
          },
        },
      ],
    },
    routes: routesDoc({ [PATH]: { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", ["oauth"]) } }),
  });
}

/** One whole sign-in attempt in a fresh browser: authorize → tiny IdP → callback; the page it ends on. */
async function attempt(gw: GatewayUnderTest, loginHint?: string): Promise<Page> {
  const client = await registerClient(gw.url);
  const url = authorizeUrl(gw.url, { clientId: client.client_id, challenge: pkcePair().challenge, resource: `${gw.url}${PATH}`, state: "s" });
  const browser = new Browser();
  const first = await browser.request(url);
  const idpUrl = new URL(first.headers.get("location")!);
  if (loginHint) idpUrl.searchParams.set("login_hint", loginHint);
  return (await browser.navigate(idpUrl.href)).page;
}

function expectRefused(page: Page, status: number, code: string): void {
  if (page.status !== status || !page.body.includes(`<code>${code}</code>`)) throw new Error(`expected ${status} ${code}, got ${page.status} at ${page.url}:\n${page.body}`);
  expect(page.body).toContain("Sign-in did not complete");
  expect(page.body).toMatch(/Request id: [0-9a-f-]{36}\./);
}

describe("ID tokens and IdP answers the gateway refuses", () => {
  let idp: Awaited<ReturnType<typeof startTinyIdp>>;
  let gw: GatewayUnderTest;

  beforeAll(async () => {
    idp = await startTinyIdp();
    gw = await gatewayFor(idp, { remoteTimeoutMs: 400 });
  });
  afterAll(async () => {
    await gw?.stop();
    idp?.stop();
  });
  const reset = () => {
    idp.forge = (claims) => idp.sign(claims);
    idp.tokenDelayMs = 0;
    idp.tokenError = undefined;
  };

  it("accepts a correct ID token (the baseline every refusal below differs from by one thing)", async () => {
    reset();
    const page = await attempt(gw);
    expect(page.status).toBe(200);
    expect(page.url).toStartWith(`${gw.url}/oauth/setup`);
    expect(page.body).toContain("Signed in as <strong>carol</strong>");
  });

  const cases: [name: string, forge: Forge, code: string][] = [
    ["a wrong issuer", (c) => idp.sign({ ...c, iss: "https://evil.example" }), "id_token_issuer_mismatch"],
    ["a wrong audience", (c) => idp.sign({ ...c, aud: "someone-else" }), "id_token_audience_mismatch"],
    ["several audiences without azp", (c) => idp.sign({ ...c, aud: [CLIENT_ID, "someone-else"] }), "id_token_audience_mismatch"],
    ["an azp naming another client", (c) => idp.sign({ ...c, azp: "someone-else" }), "id_token_audience_mismatch"],
    ["a bad signature (another key under the published kid)", (c) => idp.sign(c, "k1", idp.other.privateKey), "id_token_signature_invalid"],
    ["alg none (an unsigned token)", (c) => `${b64({ alg: "none", typ: "JWT" })}.${b64(c)}.`, "id_token_algorithm_not_allowed"],
    ["HS256 keyed with the IdP's public key", async (c) => new SignJWT(c).setProtectedHeader({ alg: "HS256", kid: "k1" }).sign(new TextEncoder().encode(JSON.stringify(idp.published[0]))), "id_token_algorithm_not_allowed"],
    ["no nonce", (c) => idp.sign({ ...c, nonce: undefined }), "id_token_nonce_mismatch"],
    ["a replayed nonce (an ID token of an earlier sign-in)", (c) => idp.sign({ ...c, nonce: idp.nonces[0] }), "id_token_nonce_mismatch"],
    ["an expired token", (c) => idp.sign({ ...c, iat: now() - 7200, exp: now() - 3600 }), "id_token_expired"],
    ["an iat in the future", (c) => idp.sign({ ...c, iat: now() + 3600, exp: now() + 7200 }), "id_token_not_yet_valid"],
    ["no subject", (c) => idp.sign({ ...c, sub: undefined }), "id_token_claims_invalid"],
    ["a token that is not a JWT", () => "not-a-jwt", "id_token_malformed"],
  ];
  for (const [name, forge, code] of cases) {
    it(`refuses ${name}: ${code}`, async () => {
      reset();
      idp.forge = forge;
      const page = await attempt(gw);
      expectRefused(page, code === "id_token_nonce_mismatch" ? 400 : 502, code);
      const event = gw.events("mcp_auth_browser_login_failed").at(-1);
      expect(event).toMatchObject({ reasonCode: code, loginKind: "federated_oidc", level: "warn" });
    });
  }

  it("refuses a token response without an ID token: id_token_missing", async () => {
    reset();
    idp.forge = () => undefined as unknown as string;
    expectRefused(await attempt(gw), 502, "id_token_missing");
  });

  it("shows the IdP's token error (invalid_grant): idp_token_error", async () => {
    reset();
    idp.tokenError = "invalid_grant";
    const page = await attempt(gw);
    expectRefused(page, 502, "idp_token_error: invalid_grant");
  });

  it("gives up on a slow token endpoint after remoteTimeoutMs: idp_timeout (504)", async () => {
    reset();
    idp.tokenDelayMs = 3_000;
    const page = await attempt(gw);
    expectRefused(page, 504, "idp_timeout");
    expect(gw.events("mcp_auth_browser_login_failed").at(-1)?.msg).toContain("did not answer within 400 ms");
  });

  it("shows error=access_denied from the IdP's redirect: idp_error (403)", async () => {
    reset();
    expectRefused(await attempt(gw, "deny"), 403, "idp_error: access_denied");
    expect(gw.events("mcp_auth_browser_login_failed").at(-1)).toMatchObject({ reasonCode: "idp_error", level: "info" });
  });

  it("never logs an ID token or the client secret", () => {
    const text = JSON.stringify(gw.logs);
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });
});

describe("the IdP's signing keys", () => {
  it("fetches the JWKS again, once, for an unknown kid, then refuses; a second unknown kid within the cooldown fetches nothing", async () => {
    const idp = await startTinyIdp();
    const gw = await gatewayFor(idp);
    try {
      expect((await attempt(gw)).status).toBe(200);
      expect(idp.jwksFetches).toBe(1);
      idp.forge = (c) => idp.sign(c, "ghost");
      expectRefused(await attempt(gw), 502, "id_token_key_unknown");
      expect(idp.jwksFetches).toBe(2);
      expectRefused(await attempt(gw), 502, "id_token_key_unknown");
      expect(idp.jwksFetches).toBe(2);
    } finally {
      await gw.stop();
      idp.stop();
    }
  });

  it("follows a key rotation: a token signed by a newly published key is accepted after one refetch", async () => {
    const idp = await startTinyIdp();
    const gw = await gatewayFor(idp);
    try {
      expect((await attempt(gw)).status).toBe(200);
      const next = await rsaKey("k2");
      idp.published = [...idp.published, next.jwk];
      idp.forge = (c) => new SignJWT(c).setProtectedHeader({ alg: "RS256", kid: "k2" }).sign(next.privateKey);
      const page = await attempt(gw);
      expect(page.status).toBe(200);
      expect(page.body).toContain("Signed in as <strong>carol</strong>");
      expect(idp.jwksFetches).toBe(2);
    } finally {
      await gw.stop();
      idp.stop();
    }
  });

  it("refuses the sign-in when the JWKS cannot be fetched: idp_keys_unavailable", async () => {
    const idp = await startTinyIdp();
    idp.published = "not a list" as unknown as JWK[];
    const gw = await gatewayFor(idp);
    try {
      expectRefused(await attempt(gw), 502, "idp_keys_unavailable");
    } finally {
      await gw.stop();
      idp.stop();
    }
  });
});

describe("an IdP that is down", () => {
  it("refuses with idp_unreachable when the token endpoint refuses connections", async () => {
    const idp = await startTinyIdp();
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const deadTokenUrl = `http://127.0.0.1:${closed.port}/token`;
    closed.stop(true);
    const gw = await gatewayFor(idp, { tokenUrl: deadTokenUrl });
    try {
      const page = await attempt(gw);
      expectRefused(page, 502, "idp_unreachable");
    } finally {
      await gw.stop();
      idp.stop();
    }
  });
});
