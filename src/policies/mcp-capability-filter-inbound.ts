import { definePolicy } from "./definition.ts";
import type { RequestContext } from "../request/context.ts";
import { checkRequest, compileCapabilityFilter, filterResponse, filterResponseBody, listRequestIds, type Caller, type CompiledFilter } from "../mcp/capability-filter.ts";
import { CapabilityFilterOptionsSchema } from "../mcp/capability-filter-options.ts";
import { rewriteSseStream } from "../mcp/capability-filter-stream.ts";
import type { JsonRpcId } from "../mcp/jsonrpc.ts";
import { UpstreamAnswer } from "../mcp/upstream-headers.ts";

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

/**
 * A JSON answer McpProxyHandler read whole: filtered from the body it already parsed (or its bytes),
 * and passed on as is when nothing changes.
 */
function filterBuffered(answer: UpstreamAnswer, bytes: Uint8Array, filter: CompiledFilter, ids: ReadonlySet<JsonRpcId>, caller: Caller | undefined): UpstreamAnswer {
  let body = answer.parsedBody;
  if (body === undefined) {
    try {
      body = JSON.parse(utf8.decode(bytes));
    } catch {
      return answer;
    }
  }
  const filtered = filterResponseBody(filter, ids, body, caller);
  if (filtered === body) return answer;
  const { response } = answer;
  return new UpstreamAnswer(new Response(JSON.stringify(filtered), { status: response.status, headers: withoutLength(response.headers) }), answer.carriesRequestId);
}

async function filterJson(response: Response, filter: CompiledFilter, ids: ReadonlySet<JsonRpcId>, caller: Caller | undefined): Promise<Response> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON after all: nothing we can filter, and nothing that can list a capability either.
    return new Response(text, { status: response.status, headers: response.headers });
  }
  const filtered = filterResponseBody(filter, ids, body, caller);
  return new Response(filtered === body ? text : JSON.stringify(filtered), { status: response.status, headers: withoutLength(response.headers) });
}

function filterSse(response: Response, filter: CompiledFilter, ids: ReadonlySet<JsonRpcId>, caller: Caller | undefined): Response {
  const body = rewriteSseStream(response.body!, (data) => {
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return data;
    }
    const id = (message as { id?: JsonRpcId } | null)?.id;
    if (id === undefined || !ids.has(id)) return data;
    const filtered = filterResponse(filter, message, caller);
    return filtered === message ? data : JSON.stringify(filtered);
  });
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
      ctx.responseHooks.push((answer) => {
        const { response } = answer;
        if (!response.ok) return answer;
        // A JSON answer the handler read whole (the usual case): its body stream and headers stay unopened.
        if (answer.bufferedBody) return filterBuffered(answer, answer.bufferedBody, filter, ids, caller);
        if (!response.body) return answer;
        const type = response.headers.get("content-type") ?? "";
        if (type.startsWith("text/event-stream")) return new UpstreamAnswer(filterSse(response, filter, ids, caller), answer.carriesRequestId);
        if (type.includes("json")) return filterJson(response, filter, ids, caller).then((filtered) => new UpstreamAnswer(filtered, answer.carriesRequestId));
        return answer;
      });
      return undefined;
    };
  },
});
