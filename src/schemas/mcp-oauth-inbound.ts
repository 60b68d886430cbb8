import * as v from "valibot";
import { isLoopbackHostname } from "../http/host.ts";
import type { AuthorizationServerOptions } from "./authorization-server.ts";
import type { OptionDocs } from "./option-docs.ts";

// Options of Zuplo's generic MCP OAuth policy (spec §2.5), and the authorization server they describe.
// The IdP wrappers (src/schemas/idp/) share the gateway, idJag and TTL pieces.

const Url = v.pipe(v.string(), v.url("must be an absolute URL"));
export const PositiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));

/**
 * Where the gateway sends codes and client secrets, or fetches signing keys from: https, or http on this
 * machine only (a local IdP, e.g. in tests). Anything else would send the client secret in clear text.
 */
export function isSecureOrLoopbackUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "https:" || (u.protocol === "http:" && isLoopbackHostname(u.hostname));
  } catch {
    return false;
  }
}

/** The dev-login shortcut is recognised by its path; its host and port are ignored (docs/oauth.md). */
export function isDevLoginUrl(url: string): boolean {
  try {
    return new URL(url).pathname.replace(/\/+$/, "").endsWith("/oauth/dev-login");
  } catch {
    return false;
  }
}

const BrowserLogin = v.pipe(
  v.strictObject({
    url: Url,
    tokenUrl: v.optional(Url),
    clientId: v.optional(v.pipe(v.string(), v.minLength(1))),
    clientSecret: v.optional(v.pipe(v.string(), v.minLength(1))),
    scope: v.optional(v.string(), "openid profile email"),
    audience: v.optional(v.string()),
    pkce: v.optional(v.picklist(["S256", "none"]), "none"),
    remoteTimeoutMs: v.optional(PositiveInt, 10_000),
    stateTtlSeconds: v.optional(PositiveInt, 900),
    sessionTtlSeconds: v.optional(PositiveInt, 28_800),
  }),
  v.check(
    (b) => isDevLoginUrl(b.url) || (b.tokenUrl !== undefined && b.clientId !== undefined && b.clientSecret !== undefined),
    "a federated browserLogin needs tokenUrl, clientId and clientSecret (only the /oauth/dev-login shortcut works without them)",
  ),
  v.check(
    (b) => isDevLoginUrl(b.url) || [b.url, b.tokenUrl ?? ""].every(isSecureOrLoopbackUrl),
    "browserLogin.url and browserLogin.tokenUrl must be https URLs (http only on 127.0.0.1, localhost or [::1]): the gateway sends its client secret and the sign-in code there",
  ),
);

export const IdJag = v.pipe(
  v.looseObject({ enabled: v.boolean() }),
  v.check((j) => !j.enabled, "idJag (Cross App Access) is not supported by this mcpgw version yet; remove it or set enabled to false"),
);

export const GatewayTtls = v.optional(
  v.strictObject({
    accessTokenTtlSeconds: v.optional(PositiveInt, 900),
    // Spec §2.4: the docs say "long-lived", the schema says 30 days; we take the schema's default.
    refreshTokenTtlSeconds: v.optional(PositiveInt, 2_592_000),
    cimdEnabled: v.optional(v.boolean(), true),
  }),
  {},
);

export const McpOAuthInboundOptionsSchema = v.pipe(
  v.strictObject({
    oidc: v.strictObject({
      issuer: Url,
      jwksUrl: Url,
      audience: v.optional(v.string()),
    }),
    browserLogin: BrowserLogin,
    gateway: GatewayTtls,
    idJag: v.optional(IdJag),
  }),
  v.forward(
    v.check((o) => isDevLoginUrl(o.browserLogin.url) || isSecureOrLoopbackUrl(o.oidc.jwksUrl), "oidc.jwksUrl must be an https URL (http only on 127.0.0.1, localhost or [::1]): ID tokens are verified with the keys found there"),
    ["oidc", "jwksUrl"],
  ),
);

export type McpOAuthInboundOptions = v.InferOutput<typeof McpOAuthInboundOptionsSchema>;

const DEV_LOGIN_IGNORES = "Not used with dev-login.";

export const McpOAuthInboundOptionsDocs: OptionDocs = {
  summary:
    "Makes the gateway the OAuth 2.1 authorization server MCP clients sign in to (discovery, dynamic registration, client ID metadata documents, PKCE, consent) and checks the gateway's access token on every request of the route. Put it first in a route's inbound policies; all MCP routes of a project use the same one. People sign in through any OpenID Provider whose URLs `oidc` and `browserLogin` name (authorization code flow with state, nonce and optional PKCE; the ID token checked against `oidc.jwksUrl`), or, under `mcpgw dev` only, with the loopback dev-login. For 11 common IdPs a wrapper below derives these URLs from the tenant. See [oauth.md](../oauth.md) and [idp/generic.md](../idp/generic.md).",
  options: {
    oidc: "The identity provider whose ID tokens sign people in.",
    "oidc.issuer": `The IdP's issuer: an ID token's \`iss\` must equal it exactly, else sign-in ends with \`id_token_issuer_mismatch\`. ${DEV_LOGIN_IGNORES}`,
    "oidc.jwksUrl": `The IdP's JWK Set, fetched within \`browserLogin.remoteTimeoutMs\`, kept 10 minutes and fetched again (at most every 30 s) when an ID token names a key it lacks. ${DEV_LOGIN_IGNORES}`,
    "oidc.audience": `The \`aud\` an ID token must carry, when the IdP uses something other than \`browserLogin.clientId\` (the default). ${DEV_LOGIN_IGNORES}`,
    browserLogin: "How a person signs in in the browser.",
    "browserLogin.url":
      "The IdP's authorization endpoint, or a URL whose path ends in `/oauth/dev-login`: then the gateway sends the browser to its own `{basePath}/oauth/dev-login` on the request's origin, whatever host and port the URL names (`mcpgw dev` only, over loopback, in a browser that opened the dev-login link printed at start-up; `mcpgw start` answers it 403).",
    "browserLogin.tokenUrl": `The IdP's token endpoint, where the gateway redeems the sign-in code (client authentication \`client_secret_basic\`). Required for an IdP. ${DEV_LOGIN_IGNORES}`,
    "browserLogin.clientId": `The gateway's client id at the IdP; also the ID token's expected audience unless \`oidc.audience\` is set. Required for an IdP. ${DEV_LOGIN_IGNORES}`,
    "browserLogin.clientSecret": `The gateway's client secret at the IdP; give it with \`$env(…)\`. Required for an IdP. ${DEV_LOGIN_IGNORES}`,
    "browserLogin.scope": `Scopes requested from the IdP, space-separated. Keep \`openid\`: without it the IdP sends no ID token and sign-in fails with \`id_token_missing\`. Add what puts roles or groups into the ID token. ${DEV_LOGIN_IGNORES}`,
    "browserLogin.audience": `Sent as \`audience=\` on the authorization request (Auth0-style APIs). It does not change the ID token check. ${DEV_LOGIN_IGNORES}`,
    "browserLogin.pkce": `\`S256\` sends a PKCE challenge to the IdP (the verifier is derived from the state under the data-dir key, never stored); \`none\` sends none. Use \`S256\` when the IdP supports it. ${DEV_LOGIN_IGNORES}`,
    "browserLogin.remoteTimeoutMs": `Timeout of each call the gateway makes to the IdP, in milliseconds: the code exchange (past it the sign-in ends with \`idp_timeout\`) and fetching the JWK Set (\`idp_keys_unavailable\`). ${DEV_LOGIN_IGNORES}`,
    "browserLogin.stateTtlSeconds": "Lifetime of a pending authorization request, from `/oauth/authorize` to the consent answer; it also bounds the time a person may take at the IdP (a later callback ends with `login_state_unknown`).",
    "browserLogin.sessionTtlSeconds": "Lifetime of the browser session cookie `zuplo_mcp_session` (`__Host-zuplo_mcp_session` on https); a live session skips the login step.",
    gateway: "The gateway's own tokens and client registration.",
    "gateway.accessTokenTtlSeconds": "Access token lifetime, capped by the grant's end.",
    "gateway.refreshTokenTtlSeconds": "Grant lifetime from consent: refresh tokens and every access token of the grant end then; refreshing does not extend it.",
    "gateway.cimdEnabled": "Accept URL `client_id`s (client ID metadata documents) and advertise `client_id_metadata_document_supported`.",
    idJag: "Cross App Access. Accepted only as `{ \"enabled\": false }`.",
    "idJag.enabled": "Must be `false`: Cross App Access is not supported by this version.",
  },
};

export function deriveAuthorizationServer(options: McpOAuthInboundOptions): AuthorizationServerOptions {
  const b = options.browserLogin;
  return {
    login: isDevLoginUrl(b.url)
      ? { kind: "local_dev" }
      : {
          kind: "federated_oidc",
          authorizationUrl: b.url,
          // The schema's check guarantees these three for a federated login.
          tokenUrl: b.tokenUrl!,
          clientId: b.clientId!,
          clientSecret: b.clientSecret!,
          scope: b.scope,
          ...(b.audience !== undefined ? { audience: b.audience } : {}),
          pkce: b.pkce,
          remoteTimeoutMs: b.remoteTimeoutMs,
          tokenEndpointAuthMethod: "client_secret_basic",
        },
    oidc: options.oidc,
    stateTtlSeconds: b.stateTtlSeconds,
    sessionTtlSeconds: b.sessionTtlSeconds,
    accessTokenTtlSeconds: options.gateway.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: options.gateway.refreshTokenTtlSeconds,
    cimdEnabled: options.gateway.cimdEnabled,
  };
}
