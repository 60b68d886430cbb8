import * as v from "valibot";
import { federatedServer, firstFailing, hasScheme, idpWrapper, isUuid, wrapperDocs, wrapperEntries } from "./common.ts";

// mcp-entra-oauth-inbound (spec §2.6): one Microsoft Entra ID tenant. The multi-tenant aliases are
// refused: their ID tokens carry each tenant's own issuer, so no exact issuer check would be possible.

const MULTI_TENANT = ["common", "organizations", "consumers"];

const Options = v.strictObject({
  ...wrapperEntries(),
  clientId: firstFailing([[isUuid, "Invalid Entra client id (clientId): expected the Application (client) ID, a UUID such as 00000000-0000-0000-0000-000000000000"]]),
  tenantId: firstFailing([
    [(s) => !MULTI_TENANT.includes(s.toLowerCase()), "Invalid Entra tenant id (tenantId): common, organizations and consumers are not supported; give your Directory (tenant) ID, a UUID"],
    [(s) => !hasScheme(s) && !s.includes("/"), "Invalid Entra tenant id (tenantId): give the Directory (tenant) ID, not a URL"],
    [(s) => !s.includes("."), "Invalid Entra tenant id (tenantId): give the Directory (tenant) ID (a UUID), not a domain name"],
    [isUuid, "Invalid Entra tenant id (tenantId): expected the Directory (tenant) ID, a UUID such as 00000000-0000-0000-0000-000000000000"],
  ]),
});

export const entra = idpWrapper({
  policyType: "mcp-entra-oauth-inbound",
  exportName: "McpEntraOAuthInboundPolicy",
  idpName: "Entra",
  optionsSchema: Options,
  docs: wrapperDocs(
    { idpName: "Microsoft Entra ID", page: "entra.md", derivedFrom: "`tenantId`" },
    {
      clientId: "The app registration's Application (client) ID, a UUID; also the audience its ID tokens must carry.",
      tenantId: "The Directory (tenant) ID, a UUID (not a domain name or URL). `common`, `organizations` and `consumers` are refused: their ID tokens carry each tenant's own issuer, so no exact issuer check would be possible. The issuer is `https://login.microsoftonline.com/{tenantId}/v2.0`.",
    },
  ),
  derive: (o) => {
    const tenant = `https://login.microsoftonline.com/${o.tenantId.toLowerCase()}`;
    return federatedServer(o, {
      issuer: `${tenant}/v2.0`,
      jwksUrl: `${tenant}/discovery/v2.0/keys`,
      authorizationUrl: `${tenant}/oauth2/v2.0/authorize`,
      tokenUrl: `${tenant}/oauth2/v2.0/token`,
    });
  },
});
