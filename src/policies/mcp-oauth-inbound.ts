import { MCP_SCOPE } from "../oauth/client-metadata.ts";
import { bearerChallengeResponse, InsufficientScope, InvalidRequest, InvalidToken, type OAuthError } from "../oauth/errors.ts";
import { protectedResourceMetadataUrl } from "../oauth/metadata.ts";
import { routeResource } from "../oauth/resource.ts";
import type { ValidatedAccessToken } from "../oauth/access-tokens.ts";
import type { BuildContext, InboundPolicy, RequestContext } from "../request/context.ts";
import type * as v from "valibot";
import { McpOAuthInboundOptionsSchema } from "../schemas/mcp-oauth-inbound.ts";
import { definePolicy, type PolicyDefinition } from "./definition.ts";

// Zuplo's generic MCP OAuth policy (spec §2.5), and the request step of every IdP wrapper (§2.6): the
// resource server. It admits a request only with a live gateway access token bound to this route. The
// authorization server that issues those tokens is mounted gateway-wide from the options' derivation
// (src/schemas/catalog.ts, src/oauth/server.ts), so the step itself reads no option: which IdP signed
// the person in makes no difference here.

/** RFC 6750 §2: only the Authorization header; a token in the query string would end up in logs. */
function tokenInQuery(url: URL): boolean {
  // Most MCP calls have no query string: skip building URLSearchParams for them.
  return url.search !== "" && url.searchParams.has("access_token");
}

function bearerToken(header: string | null): string | undefined {
  const m = header === null ? null : /^Bearer +([^\s,]+) *$/i.exec(header);
  return m?.[1];
}

/** The event fields of this request: operationId is bound on the request's logger already (one key per line). */
const eventFields = (ctx: RequestContext, extra: Record<string, unknown>) => ({ ...ctx.fields, operationId: undefined, ...extra });

/** The resource-server step of an MCP OAuth policy type (the generic one or a wrapper). */
export function mcpOAuthResourceServer(policyType: string, optionsSchema: v.GenericSchema): PolicyDefinition {
  return definePolicy({ policyType, optionsSchema, create: (_options, build) => resourceServerStep(build) });
}

function resourceServerStep(build: BuildContext): InboundPolicy {
  const accessTokens = build.services.oauth.accessTokens;
  const { route } = build;
  // Read per route build, so a reload that lowers mcpgw.oauth.tokenCacheSeconds holds from its next request.
  const tokenCacheMs = build.config.settings.oauth.tokenCacheSeconds * 1000;

  return (ctx) => {
    /** The OAuth challenge, reported as the route's refusal (spec §5.1: mcp_request_rejected, outcome denied). */
    const challenge = (reasonCode: string, error?: OAuthError) => {
      const response = bearerChallengeResponse({ resourceMetadataUrl: protectedResourceMetadataUrl(ctx.origin, ctx.route), scope: MCP_SCOPE, ...(error ? { error } : {}) });
      ctx.observer.requestRejected(ctx, { httpStatus: response.status, reasonCode, failureOrigin: "client", rejectedBy: "mcp-oauth-inbound" });
      return response;
    };
    if (tokenInQuery(ctx.url)) {
      ctx.observer.auth(ctx.log, "info", "mcp_auth_downstream_token_rejected", "Access token sent in the query string; refused.", eventFields(ctx, { reasonCode: "token_in_query" }));
      return challenge("token_in_query", new InvalidRequest("Send the access token in the Authorization header, never in the query string."));
    }
    const header = ctx.request.headers.get("authorization");
    const token = bearerToken(header);
    if (token === undefined) {
      ctx.observer.auth(ctx.log, "debug", "mcp_auth_downstream_token_rejected", "No bearer token; answering with the OAuth challenge.", eventFields(ctx, { reasonCode: "missing_token" }));
      return header === null || !/^Bearer\b/i.test(header)
        ? challenge("missing_token")
        : challenge("invalid_token", new InvalidToken("The Authorization header is not a well-formed Bearer token.", "invalid_token"));
    }
    const refused = (err: unknown) => {
      if (!(err instanceof InvalidToken)) throw err;
      ctx.observer.auth(ctx.log, "info", "mcp_auth_downstream_token_rejected", err.description, eventFields(ctx, { reasonCode: err.reasonCode }));
      return challenge(err.reasonCode, err);
    };
    const admit = (validated: ValidatedAccessToken) => {
      // Spec §5.4: every later event of this request carries subjectId (through ctx.fields), a refusal too.
      ctx.fields.subjectId = validated.subject;
      if (!validated.scope.split(" ").includes(MCP_SCOPE)) {
        return challenge("insufficient_scope", new InsufficientScope(`This route needs the ${MCP_SCOPE} scope.`));
      }
      ctx.user = { sub: validated.subject, data: validated.claims };
      // Our token never goes upstream: ctx.upstreamHeaders is an allow-list without Authorization
      // (src/mcp/upstream-headers.ts), so there is nothing to strip (test/e2e/oauth-resource-server.test.ts).
      if (ctx.log.enabled("debug")) ctx.observer.auth(ctx.log, "debug", "mcp_auth_downstream_token_validated", "Access token accepted.", eventFields(ctx, { clientId: validated.clientId }));
      return undefined;
    };
    let validated: ValidatedAccessToken | Promise<ValidatedAccessToken>;
    try {
      validated = accessTokens.validate(token, routeResource(ctx.origin, route), route.operationId, tokenCacheMs);
    } catch (err) {
      return refused(err);
    }
    // A cached token is checked synchronously (no extra turn of the event loop); a miss waits for the store.
    return validated instanceof Promise ? validated.then(admit, refused) : admit(validated);
  };
}

export const mcpOAuthInbound = mcpOAuthResourceServer("mcp-oauth-inbound", McpOAuthInboundOptionsSchema);
