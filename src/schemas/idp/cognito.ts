import * as v from "valibot";
import { federatedServer, firstFailing, hasScheme, idpWrapper, isBareHost, wrapperDocs, wrapperEntries } from "./common.ts";

// mcp-cognito-oauth-inbound (spec §2.6): a Cognito user pool. Tokens are issued by the regional
// cognito-idp service; the browser signs in on the pool's hosted domain (Cognito's or a custom one).

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d+$/;
const POOL_ID = /^[a-z]{2}(-gov)?-[a-z]+-\d+_[A-Za-z0-9]+$/;

const Options = v.pipe(
  v.strictObject({
    ...wrapperEntries(),
    awsRegion: firstFailing([[(s) => REGION.test(s), "Invalid Cognito region (awsRegion): expected an AWS region code such as us-east-1"]]),
    userPoolId: firstFailing([[(s) => POOL_ID.test(s), "Invalid Cognito user pool id (userPoolId): expected the pool id as the console shows it, e.g. us-east-1_AbC123xyZ"]]),
    userPoolDomain: firstFailing([
      [(s) => !hasScheme(s), "Invalid Cognito user pool domain (userPoolDomain): drop the https:// prefix, e.g. my-app.auth.us-east-1.amazoncognito.com"],
      [(s) => !s.includes("/"), "Invalid Cognito user pool domain (userPoolDomain): give the host only, without a trailing slash or path, e.g. my-app.auth.us-east-1.amazoncognito.com"],
      [isBareHost, "Invalid Cognito user pool domain (userPoolDomain): expected a host name such as my-app.auth.us-east-1.amazoncognito.com"],
    ]),
  }),
  v.forward(
    // Only once both are well-formed: a malformed one has its own message.
    v.check((o) => !REGION.test(o.awsRegion) || !POOL_ID.test(o.userPoolId) || o.userPoolId.startsWith(`${o.awsRegion}_`), "Invalid Cognito user pool id (userPoolId): the pool belongs to another region than awsRegion; a pool id starts with its region"),
    ["userPoolId"],
  ),
);

export const cognito = idpWrapper({
  policyType: "mcp-cognito-oauth-inbound",
  exportName: "McpCognitoOAuthInboundPolicy",
  idpName: "Cognito",
  optionsSchema: Options,
  docs: wrapperDocs(
    { idpName: "Amazon Cognito", page: "cognito.md", derivedFrom: "`awsRegion`, `userPoolId` and `userPoolDomain`" },
    {
      awsRegion: "The user pool's AWS region code, e.g. `us-east-1`.",
      userPoolId: "The user pool id as the console shows it, e.g. `us-east-1_AbC123xyZ`; it starts with `awsRegion`. The issuer is `https://cognito-idp.{awsRegion}.amazonaws.com/{userPoolId}`, the signing keys under it.",
      userPoolDomain: "The pool's hosted sign-in domain, host only: a Cognito domain such as `my-app.auth.us-east-1.amazoncognito.com`, or a custom one. The browser signs in at its `/oauth2/authorize`; the gateway redeems the code at its `/oauth2/token`.",
    },
  ),
  derive: (o) => {
    const issuer = `https://cognito-idp.${o.awsRegion}.amazonaws.com/${o.userPoolId}`;
    return federatedServer(o, {
      issuer,
      jwksUrl: `${issuer}/.well-known/jwks.json`,
      authorizationUrl: `https://${o.userPoolDomain}/oauth2/authorize`,
      tokenUrl: `https://${o.userPoolDomain}/oauth2/token`,
    });
  },
});
