import { addressKey, clientAddressOf } from "../http/client-address.ts";
import { faultResponse, FAULTS } from "../mcp/faults.ts";
import type { JsonRpcId } from "../mcp/jsonrpc.ts";
import type { RequestContext } from "../request/context.ts";
import { RateLimitInboundOptionsSchema } from "../schemas/rate-limit-inbound.ts";
import { definePolicy } from "./definition.ts";

// Zuplo's `rate-limit-inbound` (docs/rate-limiting/how-it-works): one counter per policy name and caller
// — the client address (`ip`), the signed-in person (`user`: ctx.user.sub, set by the MCP OAuth policy
// earlier in the chain) or everyone (`all`) — over a sliding window. Past the limit the request is
// refused before the upstream is contacted: 429, Retry-After, and a JSON-RPC error answering its id.

/** The JSON-RPC id of a POSTed single message, when it can be read; null otherwise (JSON-RPC 2.0 §5). */
async function requestId(ctx: RequestContext): Promise<JsonRpcId> {
  if (ctx.request.method !== "POST") return null;
  try {
    const id = ((await ctx.body()).json as { id?: unknown } | undefined)?.id;
    return typeof id === "string" || typeof id === "number" ? id : null;
  } catch {
    return null;
  }
}

export const rateLimitInbound = definePolicy({
  policyType: "rate-limit-inbound",
  optionsSchema: RateLimitInboundOptionsSchema,
  create(options, build) {
    const { rateLimits, now } = build.services;
    const rule = { requestsAllowed: options.requestsAllowed, windowMs: Math.round(options.timeWindowMinutes * 60_000) };
    const trustForwarded = build.config.settings.trustForwardedHeaders;
    // Zuplo: "each unique combination of policy name and caller identifier gets its own counter".
    const prefix = `rate-limit-inbound:${build.name}:`;
    const callerKey = (ctx: RequestContext): string | undefined => {
      switch (options.rateLimitBy) {
        case "ip":
          return `ip:${addressKey(clientAddressOf(ctx.request, ctx.clientAddress, trustForwarded))}`;
        case "user":
          return ctx.user ? `user:${ctx.user.sub}` : undefined;
        default:
          return "all";
      }
    };

    const refuse = async (ctx: RequestContext, retryAfterMs: number): Promise<Response> => {
      const fault = FAULTS.rate_limited;
      const retryAfter = Math.ceil(retryAfterMs / 1000);
      ctx.observer.requestRejected(ctx, { httpStatus: fault.httpStatus, reasonCode: "rate_limited", failureOrigin: fault.origin, jsonRpcErrorCode: fault.code, rejectedBy: build.name });
      const response = faultResponse("rate_limited", await requestId(ctx), ctx.requestId, { retryAfterSeconds: retryAfter, policy: build.name });
      if (options.headerMode === "retry-after") response.headers.set("retry-after", String(retryAfter));
      return response;
    };

    const unavailable = (ctx: RequestContext, err: unknown): Response | undefined => {
      ctx.log.warn("rate_limit_store_failed", `The policy "${build.name}" could not count this request in the shared store: ${(err as Error).message}`, {
        code: "MCPGW_RATE_LIMIT_STORE_FAILED",
        hint: options.throwOnFailure ? "Refused (throwOnFailure: true) until the store answers again; check /__mcpgw/health/ready." : "Let through uncounted (throwOnFailure: false); check /__mcpgw/health/ready.",
      });
      return options.throwOnFailure ? faultResponse("internal_error", null, ctx.requestId, { policy: build.name }) : undefined;
    };

    return (ctx) => {
      const caller = callerKey(ctx);
      if (caller === undefined) {
        // Validate refuses `user` without an MCP OAuth policy before it (MCPGW_CONFIG_RATE_LIMIT_WITHOUT_USER);
        // should a request still arrive without a person, it is not let through uncounted.
        ctx.log.error("rate_limit_without_user", `The policy "${build.name}" limits per user, but no user is signed in at this point of the chain.`, {
          hint: "Put the MCP OAuth policy before rate-limit-inbound in policies.inbound.",
        });
        return faultResponse("internal_error", null, ctx.requestId, { policy: build.name });
      }
      const decision = rateLimits.consume(prefix + caller, rule, now());
      const decide = (d: Awaited<typeof decision>) => (d.allowed ? undefined : refuse(ctx, d.retryAfterMs));
      // The in-memory store answers synchronously: an allowed request costs no extra turn of the event loop.
      // A fleet's store may fail: Zuplo's throwOnFailure says whether to refuse or let the request through.
      return decision instanceof Promise ? decision.then(decide, (err: unknown) => unavailable(ctx, err)) : decide(decision);
    };
  },
});
