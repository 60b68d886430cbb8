import * as v from "valibot";
import { federatedServer, firstFailing, hasScheme, idpWrapper, wrapperDocs, wrapperEntries } from "./common.ts";

// mcp-onelogin-oauth-inbound (spec §2.6): a OneLogin account by its subdomain (OIDC v2). No pkce override.

const Options = v.strictObject({
  ...wrapperEntries(false),
  oneLoginSubdomain: firstFailing([
    [(s) => !hasScheme(s) && !s.includes("/"), "Invalid OneLogin subdomain (oneLoginSubdomain): give the subdomain only, e.g. acme for https://acme.onelogin.com"],
    [(s) => !s.includes("."), "Invalid OneLogin subdomain (oneLoginSubdomain): give the subdomain only, e.g. acme, not acme.onelogin.com"],
    [(s) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(s), "Invalid OneLogin subdomain (oneLoginSubdomain): expected letters, digits and dashes, e.g. acme"],
  ]),
});

export const onelogin = idpWrapper({
  policyType: "mcp-onelogin-oauth-inbound",
  exportName: "McpOneLoginOAuthInboundPolicy",
  idpName: "OneLogin",
  optionsSchema: Options,
  docs: wrapperDocs(
    { idpName: "OneLogin", page: "onelogin.md", derivedFrom: "`oneLoginSubdomain`", withPkce: false },
    {
      oneLoginSubdomain: "Your OneLogin subdomain only: `acme` for `https://acme.onelogin.com` (letters, digits and dashes). The issuer is `https://{subdomain}.onelogin.com/oidc/2` (OIDC v2), the endpoints under it.",
    },
  ),
  derive: (o) => {
    const issuer = `https://${o.oneLoginSubdomain.toLowerCase()}.onelogin.com/oidc/2`;
    return federatedServer(o, { issuer, jwksUrl: `${issuer}/certs`, authorizationUrl: `${issuer}/auth`, tokenUrl: `${issuer}/token` });
  },
});
