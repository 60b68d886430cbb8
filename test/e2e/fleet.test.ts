import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { serve, type RunningGateway } from "../../src/cli/serve.ts";
import { CLIENT_ASSERTION_TYPE } from "../../src/oauth/client-assertion.ts";
import { DEV_LOGIN_KEY_COOKIE } from "../../src/oauth/dev-login.ts";
import { openPostgresStore } from "../../src/store/postgres/open.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";
import { CLUSTER_START_TIMEOUT_MS, describeWithPostgres, sharedPostgres } from "../helpers/postgres.ts";
import { DEMO_PATH, mcpPost, parseForm, pkcePair, postForm, REDIRECT_URI, registerClient, tempDataDir, writeOAuthProject } from "../oauth/helpers.ts";

// Two gateways (`mcpgw dev`, each with its own pool, caches and data dir) on one PostgreSQL database, as
// behind a load balancer without session affinity: both answer for one public origin, so a token issued
// by one is good on the other, and a test picks the instance that serves each request.

const PUBLIC = "http://fleet.test";
const RESOURCE = `${PUBLIC}${DEMO_PATH}`;
const newKey = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

function fleetProject(tokenCacheSeconds: number, options: { extraPolicies?: object[]; rateLimits?: object } = {}): string {
  const dir = writeOAuthProject({ extraPolicies: options.extraPolicies });
  // Every test request comes from 127.0.0.1: the per-address OAuth endpoint limits would count the whole suite as one client.
  const rateLimits = { register: false, authorize: false, token: false, ...options.rateLimits };
  writeFileSync(join(dir, "zuplo.jsonc"), JSON.stringify({ ...MCP_ZUPLO, mcpgw: { publicOrigin: PUBLIC, oauth: { tokenCacheSeconds, rateLimits } } }));
  return dir;
}

function startInstance(projectDir: string, storeUrl: string, key: string | undefined, dataDir = tempDataDir()): Promise<RunningGateway> {
  return serve(
    { projectDir, port: 0, host: "127.0.0.1", dataDir, store: storeUrl, logLevel: "silent", logFormat: "json" },
    "dev",
    key === undefined ? {} : { MCPGW_DATA_KEY: key },
  );
}

/**
 * A browser whose requests for the public origin reach the instance the test names; one cookie jar, as
 * behind a load balancer. It holds the dev-login key as a person's browser does once they opened the
 * start-up link `mcpgw dev` printed (test/oauth/helpers.ts's Browser does the same): the link of one
 * instance, since the key comes from the fleet key and so is every instance's.
 */
class FleetBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(openedLinkOf: RunningGateway) {
    const link = new URL(openedLinkOf.devLoginUrl ?? "missing:the instance printed no dev-login link");
    this.cookies.set(DEV_LOGIN_KEY_COOKIE, link.searchParams.get("key")!);
  }

  async visit(via: RunningGateway, publicUrl: string, init: RequestInit = {}): Promise<{ status: number; location: string | null; body: string }> {
    const url = new URL(publicUrl, PUBLIC);
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await fetch(`${via.url}${url.pathname}${url.search}`, { ...init, headers, redirect: "manual" });
    for (const sc of response.headers.getSetCookie()) {
      const pair = sc.split(";")[0]!;
      this.cookies.set(pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1));
    }
    return { status: response.status, location: response.headers.get("location"), body: await response.text() };
  }
}

/** authorize on one instance, dev-login on the next, the consent page and its POST on the third: the code and its verifier. */
async function authorizeAcross(authorizeOn: RunningGateway, loginOn: RunningGateway, consentOn: RunningGateway): Promise<{ clientId: string; code: string; verifier: string }> {
  const client = await registerClient(authorizeOn.url);
  const { verifier, challenge } = pkcePair();
  const browser = new FleetBrowser(authorizeOn);
  const query = new URLSearchParams({ response_type: "code", client_id: client.client_id, redirect_uri: REDIRECT_URI, code_challenge: challenge, code_challenge_method: "S256", resource: RESOURCE, state: "s1" });
  const toLogin = await browser.visit(authorizeOn, `/oauth/authorize?${query}`);
  expect(toLogin.location).toStartWith(`${PUBLIC}/oauth/dev-login?`);
  const toConsent = await browser.visit(loginOn, toLogin.location!);
  expect(toConsent.location).toStartWith(`${PUBLIC}/oauth/`);
  const page = await browser.visit(consentOn, toConsent.location!);
  expect(page.status).toBe(200);
  const form = parseForm(page.body);
  const decided = await browser.visit(consentOn, form.action, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: PUBLIC },
    body: new URLSearchParams({ ...form.fields, decision: "approve" }),
  });
  const back = new URL(decided.location ?? `missing:${decided.status} ${decided.body}`);
  expect(back.href).toStartWith(REDIRECT_URI);
  return { clientId: client.client_id, code: back.searchParams.get("code")!, verifier };
}

function redeem(on: RunningGateway, grant: { clientId: string; code: string; verifier: string }): Promise<Response> {
  return postForm(`${on.url}/oauth/token`, { grant_type: "authorization_code", code: grant.code, code_verifier: grant.verifier, client_id: grant.clientId, redirect_uri: REDIRECT_URI, resource: RESOURCE });
}

function refresh(on: RunningGateway, clientId: string, refreshToken: string): Promise<Response> {
  return postForm(`${on.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId });
}

const mcpStatus = async (on: RunningGateway, token: string) => (await mcpPost(`${on.url}${DEMO_PATH}`, token)).status;

describeWithPostgres("two gateways on one PostgreSQL", () => {
  let storeUrl: string;
  let a: RunningGateway;
  let b: RunningGateway;
  const key = newKey();

  beforeAll(async () => {
    storeUrl = await (await sharedPostgres()).createDatabase();
    // The cache would hide a revocation for an hour: only the revocation notice can make B see it in time.
    const project = fleetProject(3600);
    [a, b] = await Promise.all([startInstance(project, storeUrl, key), startInstance(project, storeUrl, key)]);
  }, CLUSTER_START_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("prints one dev-login link for the fleet: the key comes from the fleet key, not the instance", () => {
    const keyOf = (gw: RunningGateway) => new URL(gw.devLoginUrl!).searchParams.get("key");
    expect(keyOf(a)).toBeTruthy();
    expect(keyOf(a)).toBe(keyOf(b));
  });

  it("runs authorize on A, dev-login and consent on B, the token request on A, and both serve the token", async () => {
    const grant = await authorizeAcross(a, b, b);
    const response = await redeem(a, grant);
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as { access_token: string };
    expect(await mcpStatus(a, tokens.access_token)).toBe(200);
    expect(await mcpStatus(b, tokens.access_token)).toBe(200);
  });

  it("lets exactly one of four concurrent redemptions of a code, two on each instance, succeed", async () => {
    for (let round = 0; round < 3; round++) {
      const grant = await authorizeAcross(a, a, b);
      const answers = await Promise.all([a, b, a, b].map((on) => redeem(on, grant)));
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 400, 400, 400]);
      for (const r of answers.filter((r) => r.status === 400)) expect(((await r.json()) as { error: string }).error).toBe("invalid_grant");
      // The replay revoked what the winner got, on both instances.
      const winner = (await answers.find((r) => r.status === 200)!.json()) as { access_token: string };
      expect(await mcpStatus(a, winner.access_token)).toBe(401);
      expect(await mcpStatus(b, winner.access_token)).toBe(401);
    }
  });

  it("rotates a refresh token once when four requests on both instances race with it", async () => {
    const grant = await authorizeAcross(b, a, a);
    const tokens = (await (await redeem(b, grant)).json()) as { refresh_token: string };
    const answers = await Promise.all([b, a, b, a].map((on) => refresh(on, grant.clientId, tokens.refresh_token)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400, 400, 400]);
  });

  it("evicts a token revoked on A from B's cache at once, where the cache alone would keep it for an hour", async () => {
    const grant = await authorizeAcross(a, b, a);
    const tokens = (await (await redeem(a, grant)).json()) as { access_token: string };
    // Both caches hold the token now.
    expect(await mcpStatus(a, tokens.access_token)).toBe(200);
    expect(await mcpStatus(b, tokens.access_token)).toBe(200);

    // Control: a revocation written behind the gateways' backs (no notice) stays unseen by the caches.
    const store = await openPostgresStore(storeUrl);
    const hash = new Bun.CryptoHasher("sha256").update(tokens.access_token).digest("base64url");
    await store.sql`UPDATE oauth_tokens SET revoked_at = 1 WHERE token_hash = ${hash}`;
    expect(await mcpStatus(b, tokens.access_token)).toBe(200);
    await store.sql`UPDATE oauth_tokens SET revoked_at = NULL WHERE token_hash = ${hash}`;
    await store.close();

    expect((await postForm(`${a.url}/oauth/revoke`, { token: tokens.access_token, client_id: grant.clientId })).status).toBe(200);
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) {
      status = await mcpStatus(b, tokens.access_token);
      if (status === 200) await Bun.sleep(50);
    }
    expect(status).toBe(401);
  });

  it("refuses a client assertion replayed at the other instance: its jti is single use across the fleet", async () => {
    const pair = await generateKeyPair("ES256");
    const client = await registerClient(a.url, { token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1" }] } });
    const sign = (jti: string) =>
      new SignJWT({ jti }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(client.client_id).setSubject(client.client_id).setAudience(PUBLIC).setIssuedAt().setExpirationTime("60s").sign(pair.privateKey);
    // Client authentication comes before the grant's checks: an accepted assertion with an unknown code is
    // invalid_grant (and spends the assertion), a refused one invalid_client.
    const tokenRequest = async (on: RunningGateway, assertion: string) => {
      const r = await postForm(`${on.url}/oauth/token`, { grant_type: "authorization_code", code: "no-such-code", code_verifier: "v".repeat(43), redirect_uri: REDIRECT_URI, client_id: client.client_id, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion });
      const body = (await r.json()) as { error: string; error_description: string };
      return `${r.status} ${body.error}${body.error === "invalid_client" ? `: ${body.error_description}` : ""}`;
    };
    const assertion = await sign(crypto.randomUUID());
    expect(await tokenRequest(a, assertion)).toBe("400 invalid_grant");
    expect(await tokenRequest(b, assertion)).toBe("401 invalid_client: The client_assertion was already used (its jti is single use); sign a new one for each request.");
    // Control: B accepts a fresh assertion of the same client, so what it refused was the replay.
    expect(await tokenRequest(b, await sign(crypto.randomUUID()))).toBe("400 invalid_grant");

    // Two instances racing with one assertion: exactly one accepts it.
    const raced = await sign(crypto.randomUUID());
    const answers = await Promise.all([a, b, a, b].map((on) => tokenRequest(on, raced)));
    expect(answers.filter((x) => x === "400 invalid_grant").length).toBe(1);
    expect(answers.filter((x) => x.startsWith("401 invalid_client: The client_assertion was already used")).length).toBe(3);
  });

  it("does not take the data-dir lock: two instances of a shared store may even share a data dir", async () => {
    const project = fleetProject(10);
    const dataDir = tempDataDir();
    const [c, d] = await Promise.all([startInstance(project, storeUrl, key, dataDir), startInstance(project, storeUrl, key, dataDir)]);
    await Promise.all([c.stop(), d.stop()]);
  });

  it("refuses to start an instance whose fleet key differs, or that has none", async () => {
    const project = fleetProject(10);
    await expect(startInstance(project, storeUrl, newKey())).rejects.toMatchObject({ code: "MCPGW_STORE_FLEET_KEY_MISMATCH" });
    await expect(startInstance(project, storeUrl, undefined)).rejects.toMatchObject({ code: "MCPGW_STORE_FLEET_KEY_MISSING" });
  });
});

describeWithPostgres("rate limits of two gateways on one PostgreSQL", () => {
  const LIMIT = 5;
  const REGISTRATIONS = 4;
  let c: RunningGateway;
  let d: RunningGateway;

  beforeAll(async () => {
    // A database of its own: the per-address registration counter must start at zero.
    const storeUrl = await (await sharedPostgres()).createDatabase();
    const perPerson = { name: "per-person", policyType: "rate-limit-inbound", handler: { module: "$import(@zuplo/runtime)", export: "RateLimitInboundPolicy", options: { rateLimitBy: "user", requestsAllowed: LIMIT, timeWindowMinutes: 60 } } };
    const project = fleetProject(3600, { extraPolicies: [perPerson], rateLimits: { register: { requestsAllowed: REGISTRATIONS, timeWindowMinutes: 60 } } });
    const key = newKey();
    [c, d] = await Promise.all([startInstance(project, storeUrl, key), startInstance(project, storeUrl, key)]);
  }, CLUSTER_START_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all([c?.stop(), d?.stop()]);
  });

  it(`holds rate-limit-inbound at ${LIMIT} requests per window across both instances, requests alternating between them`, async () => {
    const grant = await authorizeAcross(c, d, c); // one registration (of REGISTRATIONS)
    const tokens = (await (await redeem(d, grant)).json()) as { access_token: string };
    const statuses: number[] = [];
    for (let i = 0; i < 2 * LIMIT; i++) statuses.push(await mcpStatus(i % 2 === 0 ? c : d, tokens.access_token));
    // Each instance alone would have allowed LIMIT: together they allow LIMIT, then both refuse.
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(200), ...Array<number>(LIMIT).fill(429)]);
    const refused = await mcpPost(`${d.url}${DEMO_PATH}`, tokens.access_token);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: { data: { reasonCode: string; policy: string } } }).error.data).toMatchObject({ reasonCode: "rate_limited", policy: "per-person" });
  });

  it(`holds the built-in registration limit (${REGISTRATIONS} per address) across both instances`, async () => {
    const register = (on: RunningGateway) => fetch(`${on.url}/oauth/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ client_name: "Counted", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none" }) });
    const statuses: number[] = [];
    // The previous test registered once (on c).
    for (let i = 0; i < REGISTRATIONS + 1; i++) statuses.push((await register(i % 2 === 0 ? d : c)).status);
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
  });
});

describeWithPostgres("rate-limit-inbound when the shared store cannot count", () => {
  it("lets requests through uncounted with throwOnFailure false, and refuses them (500) with true", async () => {
    const storeUrl = await (await sharedPostgres()).createDatabase();
    const project = (throwOnFailure: boolean) =>
      writeProject({
        policies: { policies: [{ name: "everyone", policyType: "rate-limit-inbound", handler: { module: "$import(@zuplo/runtime)", export: "RateLimitInboundPolicy", options: { rateLimitBy: "all", requestsAllowed: 100, timeWindowMinutes: 1, throwOnFailure } } }] },
        routes: routesDoc({ "/mcp/limited": { "get,post": mcpRoute("limited", "mcpgw:demo", ["everyone"]) } }),
      });
    const key = newKey();
    const [open, strict] = await Promise.all([startInstance(project(false), storeUrl, key), startInstance(project(true), storeUrl, key)]);
    try {
      const status = async (on: RunningGateway) => (await mcpPost(`${on.url}/mcp/limited`, undefined)).status;
      expect([await status(open), await status(strict)]).toEqual([200, 200]);
      // A real failure of the counting statement, from PostgreSQL itself: its table is gone.
      const store = await openPostgresStore(storeUrl);
      await store.sql`DROP TABLE rate_limit_counters`;
      await store.close();
      expect([await status(open), await status(strict)]).toEqual([200, 500]);
    } finally {
      await Promise.all([open.stop(), strict.stop()]);
    }
  });
});

describe("a gateway on its own SQLite store", () => {
  it("keeps the data-dir lock: a second gateway on the same data dir is refused", async () => {
    const project = writeOAuthProject();
    const dataDir = tempDataDir();
    const settings = { projectDir: project, port: 0, host: "127.0.0.1", dataDir, logLevel: "silent", logFormat: "json" } as const;
    const first = await serve(settings, "dev", {});
    try {
      await expect(serve(settings, "dev", {})).rejects.toMatchObject({ code: "MCPGW_STORE_DATA_DIR_LOCKED" });
    } finally {
      await first.stop();
    }
  });

  it("starts without a fleet key (its key lives in the data dir)", async () => {
    const gw = await serve({ projectDir: writeOAuthProject(), port: 0, host: "127.0.0.1", dataDir: tempDataDir(), logLevel: "silent", logFormat: "json" }, "dev", {});
    await gw.stop();
  });
});
