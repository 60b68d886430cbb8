import * as v from "valibot";
import { bareHost, federatedServer, firstFailing, idpWrapper, wrapperDocs, wrapperEntries } from "./common.ts";

// mcp-okta-oauth-inbound (spec §2.6): Okta's org authorization server, or a custom one
// (`authorizationServerId`, e.g. "default"), whose URLs live under /oauth2/{id}.

const Options = v.strictObject({
  ...wrapperEntries(),
  oktaDomain: bareHost("Okta", "domain (oktaDomain)", "your-org.okta.com"),
  authorizationServerId: v.optional(firstFailing([[(s) => /^[A-Za-z0-9_-]+$/.test(s), "Invalid Okta authorization server id (authorizationServerId): give the id only, e.g. default or aus1a2b3c4d5e6f7g8h9, not a URL"]])),
});

export const okta = idpWrapper({
  policyType: "mcp-okta-oauth-inbound",
  exportName: "McpOktaOAuthInboundPolicy",
  idpName: "Okta",
  optionsSchema: Options,
  docs: wrapperDocs(
    { idpName: "Okta", page: "okta.md", derivedFrom: "`oktaDomain` and `authorizationServerId`" },
    {
      oktaDomain: "Your Okta domain, host only: `your-org.okta.com` (or a custom domain), no `https://`, path or trailing slash.",
      authorizationServerId: "A custom authorization server's id, e.g. `default` (letters, digits, `_` and `-`, not a URL): the issuer is `https://{oktaDomain}/oauth2/{id}`. Without it, Okta's org authorization server: issuer `https://{oktaDomain}`, endpoints under `/oauth2/v1`.",
    },
  ),
  derive: (o) => {
    const org = `https://${o.oktaDomain}`;
    const issuer = o.authorizationServerId === undefined ? org : `${org}/oauth2/${o.authorizationServerId}`;
    // The org server's endpoints are under /oauth2/v1; a custom server's under /oauth2/{id}/v1.
    const v1 = o.authorizationServerId === undefined ? `${org}/oauth2/v1` : `${issuer}/v1`;
    return federatedServer(o, { issuer, jwksUrl: `${v1}/keys`, authorizationUrl: `${v1}/authorize`, tokenUrl: `${v1}/token` });
  },
});
