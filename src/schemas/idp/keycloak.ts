import * as v from "valibot";
import { isSecureOrLoopbackUrl } from "../mcp-oauth-inbound.ts";
import { federatedServer, firstFailing, hasScheme, idpWrapper, wrapperDocs, wrapperEntries } from "./common.ts";

// mcp-keycloak-oauth-inbound (spec §2.6): one realm of a Keycloak server. The base URL is the server's
// (with `/auth` on Keycloak before 17); the realm is a separate option.

const parses = (s: string) => URL.canParse(s) && hasScheme(s);

const Options = v.strictObject({
  ...wrapperEntries(),
  keycloakBaseUrl: firstFailing([
    [parses, "Invalid Keycloak base URL (keycloakBaseUrl): expected an absolute URL such as https://keycloak.example.com (or …/auth on Keycloak 16 and older)"],
    [isSecureOrLoopbackUrl, "Invalid Keycloak base URL (keycloakBaseUrl): use https (http only on 127.0.0.1 or localhost)"],
    [(s) => !/\/realms(\/|$)/.test(new URL(s).pathname), "Invalid Keycloak base URL (keycloakBaseUrl): remove /realms/… from it and put the realm name in the realm option"],
    [(s) => new URL(s).search === "" && new URL(s).hash === "" && !/[?#]/.test(s), "Invalid Keycloak base URL (keycloakBaseUrl): remove the query string and fragment"],
  ]),
  realm: firstFailing([[(s) => /^[^\s/?#]+$/.test(s), "Invalid Keycloak realm (realm): give the realm's name, e.g. my-realm (no slashes or spaces)"]]),
});

export const keycloak = idpWrapper({
  policyType: "mcp-keycloak-oauth-inbound",
  exportName: "McpKeycloakOAuthInboundPolicy",
  idpName: "Keycloak",
  optionsSchema: Options,
  docs: wrapperDocs(
    { idpName: "Keycloak", page: "keycloak.md", derivedFrom: "`keycloakBaseUrl` and `realm`" },
    {
      keycloakBaseUrl: "The Keycloak server's URL without `/realms/…`, query or fragment: `https://keycloak.example.com`, or `https://host/auth` on Keycloak 16 and older; https (http only on loopback).",
      realm: "The realm's name, e.g. `my-realm` (no slashes, spaces, `?` or `#`). The issuer is `{keycloakBaseUrl}/realms/{realm}`; the endpoints are under its `/protocol/openid-connect`.",
    },
  ),
  derive: (o) => {
    const issuer = `${o.keycloakBaseUrl.replace(/\/+$/, "")}/realms/${encodeURIComponent(o.realm)}`;
    const oidc = `${issuer}/protocol/openid-connect`;
    return federatedServer(o, { issuer, jwksUrl: `${oidc}/certs`, authorizationUrl: `${oidc}/auth`, tokenUrl: `${oidc}/token` });
  },
});
