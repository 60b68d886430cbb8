import { createHmac } from "node:crypto";
import * as oauth from "oauth4webapi";
import { NO_STORE, readCookie } from "../http/headers.ts";
import { errorFields } from "../log/logger.ts";
import type { AuthorizationServerOptions } from "../schemas/authorization-server.ts";
import type { BrowserLogin, OAuthRequest, OAuthServer } from "./context.ts";
import { hashCredential, sameSecret } from "./credentials.ts";
import { personClaims, verifyIdToken } from "./id-token.ts";
import { exchangeCode } from "./idp-code-exchange.ts";
import { IdpKeys } from "./idp-keys.ts";
import { LoginError, loginErrorResponse } from "./login-errors.ts";
import { htmlResponse, noticePage } from "./pages.ts";
import { startSession } from "./session.ts";

// Sign-in through the team's IdP (federation checklist §B). start: a `state` (single use, stored as a
// hash, bound to the pending authorization request and to this browser's login cookie), a `nonce`, and
// a PKCE challenge when configured, then off to the IdP. GET {base}/oauth/callback: the state, the
// browser, the IdP's answer, the code redeemed within remoteTimeoutMs, the ID token verified, a session
// with the person's claims, on to the consent page. Any failure is the error page with a code.

type FederatedOptions = Extract<AuthorizationServerOptions["login"], { kind: "federated_oidc" }>;

export interface FederatedLoginDeps {
  /** The process's outbound fetch (Services.fetch). */
  readonly fetch: typeof fetch;
  /** The data-dir key: the PKCE verifier is derived from the state under it, so it is never stored. */
  readonly secret: Uint8Array;
}

/** RFC 6749 §10.12 (login CSRF): the browser that comes back must be the one that left. */
function loginCookieName(origin: string): string {
  return origin.startsWith("https:") ? "__Host-mcpgw_login" : "mcpgw_login";
}

/** RFC 7636 §4.1: 43 base64url characters (256 bits), recomputable from the state by this gateway only. */
function pkceVerifier(secret: Uint8Array, state: string): string {
  return createHmac("sha256", secret).update(`mcpgw idp pkce verifier\0${state}`).digest("base64url");
}

export function federatedLogin(options: AuthorizationServerOptions, deps: FederatedLoginDeps): BrowserLogin {
  const login = options.login as FederatedOptions;
  const keys = new IdpKeys(options.oidc.jwksUrl, { fetch: deps.fetch, timeoutMs: login.remoteTimeoutMs });
  const issuers = [options.oidc.issuer, ...(options.oidc.issuerAliases ?? [])];
  const idpHost = new URL(login.authorizationUrl).host;

  async function start(server: OAuthServer, req: OAuthRequest, requestId: string): Promise<Response> {
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    // Several sign-ins of one browser (two tabs) share its login cookie.
    const existing = readCookie(req.request, loginCookieName(req.origin));
    const browser = existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : oauth.generateRandomState();
    const redirectUri = `${req.origin}${server.basePath}/oauth/callback`;
    const now = server.now();
    const ttlSeconds = options.stateTtlSeconds;
    await server.store.logins.insert({
      stateHash: hashCredential(state),
      requestId,
      nonceHash: hashCredential(nonce),
      browserHash: hashCredential(browser),
      redirectUri,
      pkce: login.pkce === "S256" ? 1 : 0,
      createdAt: now,
      expiresAt: now + ttlSeconds * 1000,
    });
    const target = new URL(login.authorizationUrl);
    const params: Record<string, string> = { response_type: "code", client_id: login.clientId, redirect_uri: redirectUri, scope: login.scope, state, nonce };
    if (login.audience !== undefined) params.audience = login.audience;
    if (login.pkce === "S256") {
      params.code_challenge = await oauth.calculatePKCECodeChallenge(pkceVerifier(deps.secret, state));
      params.code_challenge_method = "S256";
    }
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    req.report("info", "mcp_auth_browser_login_started", `Sending the browser to the identity provider at ${idpHost}.`, { loginKind: "federated_oidc", idpHost });
    const secure = req.origin.startsWith("https:") ? "; Secure" : "";
    const cookie = `${loginCookieName(req.origin)}=${browser}; Path=/; Max-Age=${ttlSeconds}; HttpOnly; SameSite=Lax${secure}`;
    return new Response(null, { status: 302, headers: { location: target.href, "set-cookie": cookie, ...NO_STORE } });
  }

  async function callback(server: OAuthServer, req: OAuthRequest): Promise<Response> {
    const params = req.url.searchParams;
    const state = params.get("state");
    if (!state) throw new LoginError("login_state_missing", "The callback has no state parameter.");
    const pending = await server.store.logins.take(hashCredential(state), server.now());
    if (!pending) throw new LoginError("login_state_unknown", "The callback's state is unknown, expired or already used (a replay, or a sign-in older than stateTtlSeconds).");
    const cookie = readCookie(req.request, loginCookieName(req.origin));
    if (!cookie || !sameSecret(hashCredential(cookie), pending.browserHash)) {
      throw new LoginError("login_browser_mismatch", "The callback came from a browser without the login cookie of the browser that started this sign-in.");
    }
    const idpError = params.get("error");
    if (idpError !== null) {
      const description = params.get("error_description")?.slice(0, 300);
      throw new LoginError("idp_error", `The IdP answered error=${idpError}${description ? ` (${description})` : ""}.`, /^[\w.-]{1,64}$/.test(idpError) ? idpError : "invalid");
    }
    const idToken = await exchangeCode(params, {
      issuer: options.oidc.issuer,
      tokenUrl: login.tokenUrl,
      clientId: login.clientId,
      clientSecret: login.clientSecret,
      tokenEndpointAuthMethod: login.tokenEndpointAuthMethod,
      redirectUri: pending.redirectUri,
      codeVerifier: pending.pkce ? pkceVerifier(deps.secret, state) : undefined,
      timeoutMs: login.remoteTimeoutMs,
      fetch: deps.fetch,
    });
    const claims = await verifyIdToken(idToken, keys.resolver(server.now), {
      issuers,
      audience: options.oidc.audience ?? login.clientId,
      clientId: login.clientId,
      nonceHash: pending.nonceHash,
      now: server.now(),
    });
    const session = await startSession(server, req, claims.sub, personClaims(claims));
    req.report("info", "mcp_auth_browser_login", `Signed in as ${claims.sub} through the identity provider.`, { subjectId: claims.sub, loginKind: "federated_oidc", idpHost });
    if (await server.store.flows.findRequest(pending.requestId, server.now())) {
      const next = `${req.origin}${server.basePath}/oauth/setup?request=${encodeURIComponent(pending.requestId)}`;
      return new Response(null, { status: 302, headers: { location: next, "set-cookie": session, ...NO_STORE } });
    }
    return htmlResponse(noticePage("Signed in", `You are signed in to this gateway as ${claims.sub}, but the sign-in request of your MCP client has expired. Start again from your MCP client.`), 200, { "set-cookie": session });
  }

  return {
    kind: "federated_oidc",
    unavailable: () => undefined,
    start,
    callback: async (server, req) => {
      try {
        return await callback(server, req);
      } catch (err) {
        const failure = err instanceof LoginError ? err : new LoginError("login_failed", "The callback failed unexpectedly.");
        if (!(err instanceof LoginError)) req.report("error", "mcp_auth_endpoint_failed", "The identity provider callback failed.", errorFields(err));
        req.report(failure.code === "idp_error" ? "info" : "warn", "mcp_auth_browser_login_failed", failure.message, { reasonCode: failure.code, loginKind: "federated_oidc", idpHost });
        return loginErrorResponse(failure, req.requestId);
      }
    },
  };
}
