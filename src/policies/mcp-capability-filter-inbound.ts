import { definePolicy } from "./definition.ts";
import type { RequestContext } from "../request/context.ts";
import { checkRequest, compileCapabilityFilter, filterResponseBody, listRequestIds, type Caller, type CompiledFilter } from "../mcp/capability-filter.ts";
import { CapabilityFilterOptionsSchema } from "../mcp/capability-filter-options.ts";
import { rewriteSseStream } from "../mcp/capability-filter-stream.ts";
import { listFailureResponse, listFailureText, type ListFailure } from "../mcp/capability-filter-failsafe.ts";
import type { JsonRpcId } from "../mcp/jsonrpc.ts";
import { UpstreamAnswer } from "../mcp/upstream-headers.ts";
import { BodyTooLargeError, readBodyWithin } from "../http/body.ts";

// mcp-capability-filter-inbound (seeds/capability-filtering.mdx, spec §4): hidden invocations are refused
// before the upstream is contacted; list responses are filtered and projected on the way back, in JSON
// and — beyond Zuplo, which passes SSE through unfiltered — in text/event-stream, event by event.

function callerOf(ctx: RequestContext): Caller | undefined {
  return ctx.user ? { claims: ctx.user.data } : undefined;
}

function withoutLength(headers: Headers): Headers {
  const out = new Headers(headers);
  out.delete("content-length");
  return out;
}

const utf8 = new TextDecoder();

/** One list answer being filtered: what to filter with, for whom, and how to fail closed. */
interface ListAnswer {
  readonly filter: CompiledFilter;
  readonly ids: ReadonlySet<JsonRpcId>;
  readonly caller: Caller | undefined;
  readonly ctx: RequestContext;
  readonly maxBytes: number;
}

/** Fail closed: the client gets a JSON-RPC error for its list request(s), never the unfiltered list. */
function failClosed(answer: ListAnswer, reason: ListFailure, detail: string): Response {
  answer.ctx.log.warn("capability_filter_failed_closed", `The capability filter could not filter the upstream's list answer (${reason}); answered with a JSON-RPC error instead.`, { ...answer.ctx.fields, operationId: undefined, reasonCode: reason, detail });
  return listFailureResponse(reason, answer.ids, answer.ctx.requestId, detail);
}

const TOO_LARGE = (max: number) => `the upstream's list answer is larger than mcpgw.proxy.maxFilteredResponseBytes (${max})`;
const UNREADABLE = "the upstream's list answer is not JSON the capability filter can read";

/**
 * A JSON answer, as bytes McpProxyHandler read whole or read here up to the cap: filtered, and passed
 * on as is when nothing changes. Any status: an error status does not make a list safe to pass.
 */
function filterBytes(response: Response, bytes: Uint8Array, answer: ListAnswer, parsed?: unknown): Response {
  if (bytes.byteLength > answer.maxBytes) return failClosed(answer, "upstream_response_too_large", TOO_LARGE(answer.maxBytes));
  // The forward step hands over what it parsed already (JSON up to 64 KiB): no second JSON.parse.
  let body = parsed;
  if (body === undefined) {
    try {
      body = JSON.parse(utf8.decode(bytes));
    } catch {
      return failClosed(answer, "upstream_bad_response", UNREADABLE);
    }
  }
  const filtered = filterResponseBody(answer.filter, answer.ids, body, answer.caller);
  if (filtered === body) return response;
  return new Response(JSON.stringify(filtered), { status: response.status, headers: withoutLength(response.headers) });
}

async function filterJson(response: Response, answer: ListAnswer): Promise<Response> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readBodyWithin(response, answer.maxBytes);
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw err;
    return failClosed(answer, "upstream_response_too_large", TOO_LARGE(answer.maxBytes));
  }
  const filtered = filterBytes(response, bytes, answer);
  return filtered === response ? new Response(bytes, { status: response.status, headers: withoutLength(response.headers) }) : filtered;
}

function filterSse(response: Response, answer: ListAnswer): Response {
  const { filter, ids, caller, ctx } = answer;
  const body = rewriteSseStream(
    response.body!,
    (data) => {
      let message: unknown;
      try {
        message = JSON.parse(data);
      } catch {
        // An event without data (the SDK's priming event) lists nothing; any other unreadable one might.
        if (data.trim() === "") return data;
        ctx.log.warn("capability_filter_failed_closed", "An upstream event could not be read to filter it; it was replaced with a JSON-RPC error.", { ...ctx.fields, operationId: undefined, reasonCode: "upstream_bad_response" });
        return listFailureText("upstream_bad_response", ids, ctx.requestId, UNREADABLE);
      }
      // A batched answer (a JSON array) is filtered like a JSON body's.
      const filtered = filterResponseBody(filter, ids, message, caller);
      return filtered === message ? data : JSON.stringify(filtered);
    },
    {
      maxEventChars: answer.maxBytes,
      tooLarge: () => {
        ctx.log.warn("capability_filter_failed_closed", "An upstream event grew past the filter's limit; the stream ends with a JSON-RPC error.", { ...ctx.fields, operationId: undefined, reasonCode: "upstream_response_too_large" });
        return listFailureText("upstream_response_too_large", ids, ctx.requestId, TOO_LARGE(answer.maxBytes));
      },
    },
  );
  return new Response(body, { status: response.status, headers: withoutLength(response.headers) });
}

export const mcpCapabilityFilterInbound = definePolicy({
  policyType: "mcp-capability-filter-inbound",
  optionsSchema: CapabilityFilterOptionsSchema,
  create(options) {
    const filter = compileCapabilityFilter(options);
    return async (ctx) => {
      const body = await ctx.body();
      // Unparseable bodies are the handler's to reject with a JSON-RPC parse error.
      if (body.json === undefined) return undefined;
      const caller = callerOf(ctx);
      const blocked = checkRequest(filter, body.json, caller);
      if (blocked) {
        ctx.observer.requestRejected(ctx, { httpStatus: 200, reasonCode: "capability_hidden", failureOrigin: "client", jsonRpcErrorCode: blocked.error.code, rejectedBy: "mcp-capability-filter-inbound" });
        return Response.json(blocked, { status: 200 });
      }
      const ids = listRequestIds(body.json);
      if (ids.size === 0) return undefined;
      const answer: ListAnswer = { filter, ids, caller, ctx, maxBytes: ctx.config.settings.proxy.maxFilteredResponseBytes };
      ctx.responseHooks.push((upstream) => {
        const { response } = upstream;
        // A JSON answer the handler read whole (the usual case): its body stream and headers stay
        // unopened, and when nothing is hidden the same answer goes on.
        if (upstream.bufferedBody) {
          const filtered = filterBytes(response, upstream.bufferedBody, answer, upstream.parsedBody);
          return filtered === response ? upstream : new UpstreamAnswer(filtered, false);
        }
        if (!response.body) return upstream;
        const type = response.headers.get("content-type") ?? "";
        if (type.startsWith("text/event-stream")) return new UpstreamAnswer(filterSse(response, answer), false);
        if (type.includes("json")) return filterJson(response, answer).then((filtered) => new UpstreamAnswer(filtered, false));
        return upstream;
      });
      return undefined;
    };
  },
});
