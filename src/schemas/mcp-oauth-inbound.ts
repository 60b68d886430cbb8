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

const FEDERATED_ONLY = "For a federated login, which this version does not offer yet.";

export const McpOAuthInboundOptionsDocs: OptionDocs = {
  summary:
    "Makes the gateway the OAuth 2.1 authorization server MCP clients sign in to (discovery, dynamic registration, client ID metadata documents, PKCE, consent) and checks the gateway's access token on every request of the route. Put it first in a route's inbound policies; all MCP routes of a project use the same one. In this version people sign in with the loopback dev-login only: a `browserLogin.url` that is not dev-login validates, but the gateway logs `mcp_auth_federated_login_unavailable` at load and the authorization endpoint answers `server_error`. See [oauth.md](../oauth.md).",
  options: {
    oidc: "The identity provider whose ID tokens sign people in.",
    "oidc.issuer": `The IdP's issuer (exact \`iss\` match for ID tokens). Not used with dev-login. ${FEDERATED_ONLY}`,
    "oidc.jwksUrl": `The IdP's JWK Set. Not fetched with dev-login. ${FEDERATED_ONLY}`,
    "oidc.audience": `ID-token audience override. ${FEDERATED_ONLY}`,
    browserLogin: "How a person signs in in the browser.",
    "browserLogin.url":
      "The IdP's authorization endpoint, or a URL whose path ends in `/oauth/dev-login`: then the gateway sends the browser to its own `{basePath}/oauth/dev-login` on the request's origin, whatever host and port the URL names (`mcpgw dev`, loopback only).",
    "browserLogin.tokenUrl": `The IdP's token endpoint. ${FEDERATED_ONLY}`,
    "browserLogin.clientId": `The gateway's client id at the IdP. ${FEDERATED_ONLY}`,
    "browserLogin.clientSecret": `The gateway's client secret at the IdP (give it with \`$env(…)\`). ${FEDERATED_ONLY}`,
    "browserLogin.scope": `Scopes requested from the IdP. ${FEDERATED_ONLY}`,
    "browserLogin.audience": `\`audience\` parameter sent to the IdP. ${FEDERATED_ONLY}`,
    "browserLogin.pkce": `PKCE toward the IdP. ${FEDERATED_ONLY}`,
    "browserLogin.remoteTimeoutMs": `Timeout of the gateway's calls to the IdP. ${FEDERATED_ONLY}`,
    "browserLogin.stateTtlSeconds": "Lifetime of a pending authorization request (from `/oauth/authorize` to the consent answer).",
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
