import { faultResponse } from "../mcp/faults.ts";
import type { JsonRpcId } from "../mcp/jsonrpc.ts";
import type { RequestContext, UpstreamAuth } from "../request/context.ts";
import { DEMO_UPSTREAM } from "../schemas/mcp-proxy-handler.ts";
import { McpTokenExchangeInboundOptionsSchema } from "../schemas/mcp-token-exchange-inbound.ts";
import { CONNECT_REQUIRED_CODE, connectRequiredResponse, type ConnectState } from "../upstream/connect-required.ts";
import { connectionEndpoints, isAdministrator, SHARED_SUBJECT, upstreamSpecFor } from "../upstream/spec.ts";
import { mintTicket } from "../upstream/ticket.ts";
import type { Connection } from "../upstream/vault.ts";
import { definePolicy } from "./definition.ts";

// Zuplo's mcp-token-exchange-inbound (spec §C–D): the upstream gets the signed-in person's own token for
// it (user-oauth) or the gateway's shared one (shared-oauth), never the client's. As a policy step it
// only tags the request and sets ctx.upstreamAuth; the handler calls prepare() before the upstream call
// and the forward step calls onRefused() when the upstream refuses the token (refresh, retry once).

const eventFields = (ctx: RequestContext, extra: Record<string, unknown>) => ({ ...ctx.fields, operationId: undefined, ...extra });

async function jsonRpcId(ctx: RequestContext): Promise<JsonRpcId> {
  const id = ((await ctx.body()).json as { id?: unknown } | undefined)?.id;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

export const mcpTokenExchangeInbound = definePolicy({
  policyType: "mcp-token-exchange-inbound",
  optionsSchema: McpTokenExchangeInboundOptionsSchema,
  create(_options, build) {
    const { route, services } = build;
    const pattern = route.handler.options.rewritePattern;
    const spec = upstreamSpecFor(build.config.policies.get(build.name)!, pattern === DEMO_UPSTREAM ? services.demoUpstreamUrl() : pattern, [route.operationId]);
    const runtime = services.upstream;
    const basePath = build.config.settings.basePath;
    const shared = spec.authMode === "shared-oauth";
    const tags = { upstreamServerId: spec.id, authProfileId: spec.authProfileId, upstreamAuthMode: spec.authMode };

    const bearer = (ctx: RequestContext, connection: Connection) => ctx.upstreamHeaders.set("authorization", `Bearer ${connection.tokens!.accessToken}`);

    /** The connect-required answer. In shared mode only an administrator gets a link to (re)connect. */
    const connectRequired = async (ctx: RequestContext, wanted: Exclude<ConnectState, "admin_connect_required">) => {
      const person = ctx.user!.sub;
      const state: ConnectState = shared && !isAdministrator(spec, person) ? "admin_connect_required" : wanted;
      let authUrl: string | undefined;
      if (state !== "admin_connect_required") {
        const ticket = mintTicket(runtime.ticketKey, { subject: person, upstreamId: spec.id, operationId: route.operationId }, runtime.now());
        authUrl = `${connectionEndpoints(ctx.origin, basePath, spec.id).connect}?browserTicket=${ticket}&operationId=${encodeURIComponent(route.operationId)}`;
      }
      ctx.fields.connectState = state;
      ctx.observer.auth(ctx.log, "info", "mcp_auth_upstream_connect_required", `${spec.displayName}: ${state}.`, eventFields(ctx, { reasonCode: "connect_required", connectState: state }));
      return connectRequiredResponse(await jsonRpcId(ctx), { state, spec, operationId: route.operationId, authUrl });
    };

    /** Refresh (single-flight); the refreshed connection, or the answer asking to authorize again. */
    const refreshed = async (ctx: RequestContext, connection: Connection): Promise<Connection | Response> => {
      const result = await runtime.refresh(spec, connection, ctx.origin, basePath);
      if (result.ok) {
        ctx.observer.auth(ctx.log, "debug", "mcp_auth_upstream_token_refreshed", `${spec.displayName} token refreshed.`, eventFields(ctx, {}));
        return result.connection;
      }
      return connectRequired(ctx, "reconsent_required");
    };

    const subjectOf = (ctx: RequestContext) => (shared ? SHARED_SUBJECT : ctx.user!.sub);

    const auth: UpstreamAuth = {
      rejection: { reasonCode: "connect_required", outcome: "connect_required", failureOrigin: "client", jsonRpcErrorCode: CONNECT_REQUIRED_CODE },
      prepare(ctx) {
        if (!ctx.user) {
          // The config rules put the MCP OAuth policy first; without a person there is no connection to use.
          ctx.log.error("mcp_auth_upstream_no_subject", `${spec.policyName} ran without a signed-in person: put the MCP OAuth policy before it.`, eventFields(ctx, {}));
          return faultResponse("internal_error", null, ctx.requestId);
        }
        const hit = runtime.vault.cached(subjectOf(ctx), spec.id);
        // The hot path: a decrypted, fresh token in memory.
        if (hit?.tokens && !runtime.expiring(hit)) {
          bearer(ctx, hit);
          return undefined;
        }
        return prepareSlowly(ctx);
      },
      async onRefused(refusal, ctx) {
        runtime.noteChallenge(spec, refusal.wwwAuthenticate);
        const connection = await runtime.vault.load(subjectOf(ctx), spec.id);
        if (!connection?.tokens) return connectRequired(ctx, connection ? "reconsent_required" : "authenticating");
        // A retry with fresh credentials was refused too, or the token lacks a scope (403): authorize again.
        if (refusal.attempt > 1 || refusal.status === 403) {
          await runtime.vault.needsReconsent(connection);
          return connectRequired(ctx, "reconsent_required");
        }
        const refused = ctx.upstreamHeaders.get("authorization")?.slice("Bearer ".length);
        // Another request refreshed while this one was on its way: use that token.
        if (connection.tokens.accessToken !== refused) {
          bearer(ctx, connection);
          return "retry";
        }
        const next = await refreshed(ctx, connection);
        if (next instanceof Response) return next;
        bearer(ctx, next);
        return "retry";
      },
    };

    async function prepareSlowly(ctx: RequestContext): Promise<Response | undefined> {
      const connection = await runtime.vault.load(subjectOf(ctx), spec.id);
      if (!connection) return connectRequired(ctx, "authenticating");
      if (!connection.tokens) return connectRequired(ctx, "reconsent_required");
      let usable = connection;
      if (runtime.expiring(connection)) {
        const next = await refreshed(ctx, connection);
        if (next instanceof Response) return next;
        usable = next;
      }
      bearer(ctx, usable);
      return undefined;
    }

    return (ctx) => {
      Object.assign(ctx.fields, tags);
      ctx.upstreamAuth = auth;
      return undefined;
    };
  },
});
