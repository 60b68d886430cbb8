import * as v from "valibot";
import { federatedServer, idpWrapper, originOf, originOnly, wrapperEntries } from "./common.ts";

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
  derive: (o) => {
    const u = originOf(o.frontendApiUrl);
    return federatedServer(o, { issuer: u, jwksUrl: `${u}/.well-known/jwks.json`, authorizationUrl: `${u}/oauth/authorize`, tokenUrl: `${u}/oauth/token` });
  },
});
