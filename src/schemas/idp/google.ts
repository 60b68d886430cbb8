import * as v from "valibot";
import { federatedServer, firstFailing, idpWrapper, wrapperDocs, wrapperEntries } from "./common.ts";

// mcp-google-oauth-inbound (spec §2.6): Google accounts. Google's fixed endpoints; its ID tokens may say
// `iss: accounts.google.com` without the scheme (Google's OpenID Connect docs), so both spellings pass.

const Options = v.strictObject({
  ...wrapperEntries(),
  clientId: firstFailing([
    [(s) => /^\d+-[a-z0-9]+\.apps\.googleusercontent\.com$/.test(s), "Invalid Google client id (clientId): expected an OAuth client ID such as 123456789012-abc123def456.apps.googleusercontent.com"],
  ]),
});

export const google = idpWrapper({
  policyType: "mcp-google-oauth-inbound",
  exportName: "McpGoogleOAuthInboundPolicy",
  idpName: "Google",
  optionsSchema: Options,
  docs: wrapperDocs(
    { idpName: "Google", page: "google.md" },
    {
      clientId: "The OAuth client ID of a Web application, `123456789012-abc123def456.apps.googleusercontent.com`; also the audience its ID tokens must carry. The issuer is `https://accounts.google.com`; `accounts.google.com` without the scheme, which Google also writes into `iss`, is accepted.",
    },
  ),
  derive: (o) =>
    federatedServer(o, {
      issuer: "https://accounts.google.com",
      issuerAliases: ["accounts.google.com"],
      jwksUrl: "https://www.googleapis.com/oauth2/v3/certs",
      authorizationUrl: "https://accounts.google.com/o/oauth2/v2/auth",
      tokenUrl: "https://oauth2.googleapis.com/token",
    }),
});
