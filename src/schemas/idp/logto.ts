import * as v from "valibot";
import { federatedServer, idpWrapper, originOf, originOnly, wrapperDocs, wrapperEntries } from "./common.ts";

// mcp-logto-oauth-inbound (spec §2.6): a Logto tenant by its endpoint; the OIDC provider lives at /oidc.

const Options = v.strictObject({
  ...wrapperEntries(),
  logtoEndpoint: originOnly("Logto", "endpoint (logtoEndpoint)", "https://your-tenant.logto.app", [
    [(s) => !/\/oidc\/?$/.test(new URL(s).pathname), "Invalid Logto endpoint (logtoEndpoint): remove /oidc; the gateway adds it, e.g. https://your-tenant.logto.app"],
  ]),
});

export const logto = idpWrapper({
  policyType: "mcp-logto-oauth-inbound",
  exportName: "McpLogtoOAuthInboundPolicy",
  idpName: "Logto",
  optionsSchema: Options,
  docs: wrapperDocs(
    { idpName: "Logto", page: "logto.md", derivedFrom: "`logtoEndpoint`" },
    {
      logtoEndpoint: "Your Logto endpoint, origin only and without `/oidc`: `https://your-tenant.logto.app` or your custom domain; https (http only on loopback). The issuer is `{logtoEndpoint}/oidc`, the endpoints under it.",
    },
  ),
  derive: (o) => {
    const oidc = `${originOf(o.logtoEndpoint)}/oidc`;
    return federatedServer(o, { issuer: oidc, jwksUrl: `${oidc}/jwks`, authorizationUrl: `${oidc}/auth`, tokenUrl: `${oidc}/token` });
  },
});
