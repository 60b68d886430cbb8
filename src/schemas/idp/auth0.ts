import * as v from "valibot";
import { bareHost, federatedServer, idpWrapper, wrapperDocs, wrapperEntries } from "./common.ts";

// mcp-auth0-oauth-inbound (spec §2.6): an Auth0 tenant, by its domain. Auth0's issuer ends in a slash.

const Options = v.strictObject({
  ...wrapperEntries(),
  auth0Domain: bareHost("Auth0", "domain (auth0Domain)", "your-tenant.us.auth0.com"),
  /** An Auth0 API identifier, sent as `audience=` so Auth0 issues an access token for that API. */
  audience: v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty"))),
});

export const auth0 = idpWrapper({
  policyType: "mcp-auth0-oauth-inbound",
  exportName: "McpAuth0OAuthInboundPolicy",
  idpName: "Auth0",
  optionsSchema: Options,
  docs: wrapperDocs(
    { idpName: "Auth0", page: "auth0.md", derivedFrom: "`auth0Domain`" },
    {
      auth0Domain: "Your Auth0 tenant's domain (or its custom domain), host only: `your-tenant.us.auth0.com`, no `https://`, path or trailing slash. The issuer is `https://{auth0Domain}/` (with the slash Auth0 puts in `iss`).",
      audience: "An Auth0 API identifier, sent as `audience=` on the authorization request so that Auth0 issues an access token for that API (Zuplo's option). The gateway reads only the ID token, whose audience stays `clientId`.",
    },
  ),
  derive: (o) =>
    federatedServer(o, {
      issuer: `https://${o.auth0Domain}/`,
      jwksUrl: `https://${o.auth0Domain}/.well-known/jwks.json`,
      authorizationUrl: `https://${o.auth0Domain}/authorize`,
      tokenUrl: `https://${o.auth0Domain}/oauth/token`,
      ...(o.audience !== undefined ? { audience: o.audience } : {}),
    }),
});
