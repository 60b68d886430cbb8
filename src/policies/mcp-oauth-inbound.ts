import * as v from "valibot";
import { MCP_SCOPE } from "../oauth/client-metadata.ts";
import { bearerChallengeResponse, InsufficientScope, InvalidRequest, InvalidToken, type OAuthError } from "../oauth/errors.ts";
import { protectedResourceMetadataUrl, type BrowserLoginKind } from "../oauth/metadata.ts";
import { routeResource } from "../oauth/resource.ts";
import { definePolicy } from "./definition.ts";

// Zuplo's generic MCP OAuth policy (spec §2.5). As a policy step it is the resource server: it admits a
// request only with a live gateway access token bound to this route. The authorization server that
// issues those tokens is mounted gateway-wide from the same options (src/oauth/server.ts).

const Url = v.pipe(v.string(), v.url("must be an absolute URL"));
const PositiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));

/** The dev-login shortcut is recognised by its path; its host and port are ignored (docs/oauth.md). */
export function isDevLoginUrl(url: string): boolean {
  try {
    return new URL(url).pathname.replace(/\/+$/, "").endsWith("/oauth/dev-login");
  } catch {
    return false;
  }
}

const BrowserLogin = v.pipe(
  v.strictObject({
    url: Url,
    tokenUrl: v.optional(Url),
    clientId: v.optional(v.pipe(v.string(), v.minLength(1))),
    clientSecret: v.optional(v.pipe(v.string(), v.minLength(1))),
    scope: v.optional(v.string(), "openid profile email"),
    audience: v.optional(v.string()),
    pkce: v.optional(v.picklist(["S256", "none"]), "none"),
    remoteTimeoutMs: v.optional(PositiveInt, 10_000),
    stateTtlSeconds: v.optional(PositiveInt, 900),
    sessionTtlSeconds: v.optional(PositiveInt, 28_800),
  }),
  v.check(
    (b) => isDevLoginUrl(b.url) || (b.tokenUrl !== undefined && b.clientId !== undefined && b.clientSecret !== undefined),
    "a federated browserLogin needs tokenUrl, clientId and clientSecret (only the /oauth/dev-login shortcut works without them)",
  ),
);

const IdJag = v.pipe(
  v.looseObject({ enabled: v.boolean() }),
  v.check((j) => !j.enabled, "idJag (Cross App Access) is not supported by this mcpgw version yet; remove it or set enabled to false"),
);

export const OptionsSchema = v.strictObject({
  oidc: v.strictObject({
    issuer: Url,
    jwksUrl: Url,
    audience: v.optional(v.string()),
  }),
  browserLogin: BrowserLogin,
  gateway: v.optional(
    v.strictObject({
      accessTokenTtlSeconds: v.optional(PositiveInt, 900),
      // Spec §2.4: the docs say "long-lived", the schema says 30 days; we take the schema's default.
      refreshTokenTtlSeconds: v.optional(PositiveInt, 2_592_000),
      cimdEnabled: v.optional(v.boolean(), true),
    }),
    {},
  ),
  idJag: v.optional(IdJag),
});

export type McpOAuthInboundOptions = v.InferOutput<typeof OptionsSchema>;

export function browserLoginKind(options: McpOAuthInboundOptions): BrowserLoginKind {
  return isDevLoginUrl(options.browserLogin.url) ? "local_dev" : "federated_oidc";
}

/** RFC 6750 §2: only the Authorization header; a token in the query string would end up in logs. */
function tokenInQuery(url: URL): boolean {
  // Most MCP calls have no query string: skip building URLSearchParams for them.
  return url.search !== "" && url.searchParams.has("access_token");
}

function bearerToken(header: string | null): string | undefined {
  const m = header === null ? null : /^Bearer +([^\s,]+) *$/i.exec(header);
  return m?.[1];
}

export const mcpOAuthInbound = definePolicy({
  policyType: "mcp-oauth-inbound",
  exportName: "McpOAuthInboundPolicy",
  family: "mcp-oauth",
  optionsSchema: OptionsSchema,
  create(options, build) {
    const { services, name } = build;
    if (browserLoginKind(options) === "federated_oidc") {
      services.log.warn(
        "mcp_auth_federated_login_unavailable",
        `The policy "${name}" uses a federated browserLogin (${new URL(options.browserLogin.url).host}); federated OIDC login is not available in this mcpgw version, so /oauth/authorize will answer server_error. Use the /oauth/dev-login shortcut for now.`,
        { policy: name },
      );
    } else if (services.mode === "start") {
      services.log.warn("mcp_auth_dev_login_disabled", `The policy "${name}" uses /oauth/dev-login, which answers 403 under \`mcpgw start\`; nobody can sign in.`, { policy: name });
    }
    const accessTokens = services.oauth.accessTokens;

    return (ctx) => {
      const challenge = (error?: OAuthError) =>
        bearerChallengeResponse({ resourceMetadataUrl: protectedResourceMetadataUrl(ctx.origin, ctx.route), scope: MCP_SCOPE, ...(error ? { error } : {}) });
      if (tokenInQuery(ctx.url)) {
        ctx.log.info("mcp_auth_downstream_token_rejected", "Access token sent in the query string; refused.", { ...ctx.fields, reasonCode: "token_in_query" });
        return challenge(new InvalidRequest("Send the access token in the Authorization header, never in the query string."));
      }
      const header = ctx.request.headers.get("authorization");
      const token = bearerToken(header);
      if (token === undefined) {
        ctx.log.debug("mcp_auth_downstream_token_rejected", "No bearer token; answering with the OAuth challenge.", { ...ctx.fields, reasonCode: "missing_token" });
        return header === null || !/^Bearer\b/i.test(header) ? challenge() : challenge(new InvalidToken("The Authorization header is not a well-formed Bearer token.", "invalid_token"));
      }
      let validated;
      try {
        validated = accessTokens.validate(token, routeResource(ctx.origin, ctx.route), ctx.route.operationId);
      } catch (err) {
        if (!(err instanceof InvalidToken)) throw err;
        ctx.log.info("mcp_auth_downstream_token_rejected", err.description, { ...ctx.fields, reasonCode: err.reasonCode });
        return challenge(err);
      }
      if (!validated.scope.split(" ").includes(MCP_SCOPE)) {
        return challenge(new InsufficientScope(`This route needs the ${MCP_SCOPE} scope.`));
      }
      ctx.user = { sub: validated.subject, data: validated.claims };
      // Spec §5.4: every later event of this request carries subjectId (through ctx.fields).
      ctx.fields.subjectId = validated.subject;
      // Our token never goes upstream: ctx.upstreamHeaders is an allow-list without Authorization
      // (src/gateway/upstream-headers.ts), so there is nothing to strip (test/e2e/oauth-resource-server.test.ts).
      if (ctx.log.enabled("debug")) ctx.log.debug("mcp_auth_downstream_token_validated", "Access token accepted.", { ...ctx.fields, clientId: validated.clientId });
      return undefined;
    };
  },
});
