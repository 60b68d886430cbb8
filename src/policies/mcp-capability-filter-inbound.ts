import { definePolicy } from "./definition.ts";
import type { RequestContext } from "../gateway/context.ts";
import { checkRequest, compileCapabilityFilter, filterResponse, filterResponseBody, listRequestIds, type Caller, type CompiledFilter, type JsonRpcId } from "../mcp/capability-filter.ts";
import { CapabilityFilterOptionsSchema } from "../mcp/capability-filter-options.ts";
import { rewriteSseStream } from "../mcp/capability-filter-stream.ts";
import { bufferedBodyOf } from "../gateway/upstream-headers.ts";
import { requestRejected } from "../log/events.ts";

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

/** A JSON answer McpProxyHandler read whole: filtered from its bytes, and passed on as is when nothing changes. */
function filterBuffered(response: Response, bytes: Uint8Array, filter: CompiledFilter, ids: ReadonlySet<JsonRpcId>, caller: Caller | undefined): Response {
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(bytes));
  } catch {
    return response;
  }
  const filtered = filterResponseBody(filter, ids, body, caller);
  if (filtered === body) return response;
  return new Response(JSON.stringify(filtered), { status: response.status, headers: withoutLength(response.headers) });
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
  exportName: "McpCapabilityFilterInboundPolicy",
  family: "mcp-capability-filter",
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
        requestRejected(ctx, { httpStatus: 200, reasonCode: "capability_hidden", failureOrigin: "client", jsonRpcErrorCode: blocked.error.code, rejectedBy: "mcp-capability-filter-inbound" });
        return Response.json(blocked, { status: 200 });
      }
      const ids = listRequestIds(body.json);
      if (ids.size === 0) return undefined;
      ctx.responseHooks.push((response) => {
        if (!response.ok) return response;
        // A JSON answer the handler read whole (the usual case): its body stream and headers stay unopened.
        const bytes = bufferedBodyOf(response);
        if (bytes) return filterBuffered(response, bytes, filter, ids, caller);
        if (!response.body) return response;
        const type = response.headers.get("content-type") ?? "";
        if (type.startsWith("text/event-stream")) return filterSse(response, filter, ids, caller);
        if (type.includes("json")) return filterJson(response, filter, ids, caller);
        return response;
      });
      return undefined;
    };
  },
});
