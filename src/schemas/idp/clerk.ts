import * as v from "valibot";
import { federatedServer, idpWrapper, originOf, originOnly, wrapperDocs, wrapperEntries } from "./common.ts";

// mcp-clerk-oauth-inbound (spec §2.6): a Clerk instance by its Frontend API URL. No pkce override.

const Options = v.strictObject({
  ...wrapperEntries(false),
  frontendApiUrl: originOnly("Clerk", "Frontend API URL (frontendApiUrl)", "https://clerk.example.com"),
});

export const clerk = idpWrapper({
  policyType: "mcp-clerk-oauth-inbound",
  exportName: "McpClerkOAuthInboundPolicy",
  idpName: "Clerk",
  optionsSchema: Options,
  docs: wrapperDocs(
    { idpName: "Clerk", page: "clerk.md", derivedFrom: "`frontendApiUrl`", withPkce: false },
    {
      frontendApiUrl: "Your Clerk instance's Frontend API URL, origin only: `https://clerk.example.com` or `https://your-app.clerk.accounts.dev`, https (http only on loopback), no path, query, fragment or user info. It is the issuer; the endpoints are `/oauth/authorize`, `/oauth/token` and `/.well-known/jwks.json` under it.",
    },
  ),
  derive: (o) => {
    const u = originOf(o.frontendApiUrl);
    return federatedServer(o, { issuer: u, jwksUrl: `${u}/.well-known/jwks.json`, authorizationUrl: `${u}/oauth/authorize`, tokenUrl: `${u}/oauth/token` });
  },
});
