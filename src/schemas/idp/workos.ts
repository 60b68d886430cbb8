import * as v from "valibot";
import { federatedServer, firstFailing, idpWrapper, wrapperDocs, wrapperEntries } from "./common.ts";

// mcp-workos-oauth-inbound (spec §2.6): WorkOS AuthKit, by the environment's client ID. WorkOS's
// /user_management/authenticate takes the client secret in the form body (client_secret_post), not
// HTTP Basic (docs/idp/workos.md).

const Options = v.strictObject({
  ...wrapperEntries(),
  clientId: firstFailing([[(s) => /^client_[A-Za-z0-9]+$/.test(s), "Invalid WorkOS client id (clientId): expected the environment's client ID, which starts with client_ (e.g. client_01HZBC6N1EB1ZY7KG32X)"]]),
});

export const workos = idpWrapper({
  policyType: "mcp-workos-oauth-inbound",
  exportName: "McpWorkosOAuthInboundPolicy",
  idpName: "WorkOS",
  optionsSchema: Options,
  docs: wrapperDocs(
    {
      idpName: "WorkOS",
      page: "workos.md",
      derivedFrom: "`clientId`",
      caveat:
        "**Not working end to end:** per WorkOS's API reference its `/user_management/authenticate` answers without an `id_token` (and without `token_type`), and the gateway signs people in only with a verified ID token, so sign-in ends with `idp_response_invalid`. WorkOS AuthKit's OpenID Connect endpoints work with the generic `mcp-oauth-inbound` ([idp/workos.md](../idp/workos.md#notes)).",
    },
    {
      clientId: "The WorkOS environment's client ID, which starts with `client_`; also the audience its ID tokens must carry, and part of the issuer `https://api.workos.com/user_management/{clientId}`.",
      clientSecret: "A WorkOS API key of the environment, used as the client secret; give it with `$env(…)`. WorkOS takes it in the token request's form body (`client_secret_post`), not HTTP Basic.",
    },
  ),
  derive: (o) =>
    federatedServer(o, {
      issuer: `https://api.workos.com/user_management/${o.clientId}`,
      jwksUrl: `https://api.workos.com/sso/jwks/${o.clientId}`,
      authorizationUrl: "https://api.workos.com/user_management/authorize",
      tokenUrl: "https://api.workos.com/user_management/authenticate",
      tokenEndpointAuthMethod: "client_secret_post",
    }),
});
