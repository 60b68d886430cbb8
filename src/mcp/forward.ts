import type { Completion } from "./completion.ts";
import { probeConnect } from "./connect-probe.ts";
import { deadlineAfter } from "./deadlines.ts";
import { faultEvent, faultResponse, FAULTS, type FaultReason } from "./faults.ts";
import type { McpCall } from "./jsonrpc.ts";
import { closesLikeJson, JsonRpcScanner, parsedVerdict, type ParsedVerdict, type ResponseVerdict } from "./response-scan.ts";
import { SseScanner } from "./sse-scan.ts";
import { proxiedAnswer, redirectsElsewhere, UpstreamAnswer } from "./upstream-headers.ts";

// One POST to an upstream MCP server and its answer back to the client (Streamable HTTP, 2025-11-25
// §"Sending Messages to the Server"): the body goes up as the bytes the client sent; a JSON answer
// comes back whole, an event stream chunk by chunk as it arrives. The answer is classified for
// analytics on the way through, without being rebuilt.

/** The proxy limits (mcpgw.proxy in zuplo.jsonc) the forward step enforces. */
export interface UpstreamLimits {
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly sseIdleTimeoutMs: number;
}

/** A route's upstream, fixed when the config loads. */
export interface UpstreamTarget {
  /** The rewritePattern URL, query included. */
  readonly url: string;
  readonly forwardSearch: boolean;
  readonly followRedirects: boolean;
  readonly tls: { readonly cert: string; readonly key: string; readonly ca?: string } | undefined;
  /** Where the connect probe knocks (see connect-probe.ts). */
  readonly hostname: string;
  readonly port: number;
  readonly limits: UpstreamLimits;
}

/** One client request, as far as the upstream call needs it. */
export interface Exchange {
  readonly call: McpCall;
  readonly body: Uint8Array<ArrayBuffer>;
  readonly headers: Headers;
  /** The inbound query string ("" or "?…"). */
  readonly search: string;
  /** Aborts when the client goes away. */
  readonly clientSignal: AbortSignal;
  readonly requestId: string;
  /**
   * Called exactly once per client request, when the answer has fully passed through (or failed, or
   * the client left), whatever retries happened on the way.
   */
  readonly complete: (completion: Completion) => void;
  /**
   * Asked when the upstream refuses the gateway's credentials (401/403), once per attempt (at most two):
   * on the first, "retry" sends the request once more, with `headers` as the callback left them (fresh credentials);
   * a Response answers the client instead (e.g. "connect again"); undefined answers with the -32087
   * fault. The client never sees the upstream's 401: its own token was fine, ours was not.
   */
  readonly onRefused?: ((refusal: UpstreamRefusal) => Promise<"retry" | Response | undefined>) | undefined;
}

/** The upstream refused the gateway's credentials for it. */
export interface UpstreamRefusal {
  readonly status: 401 | 403;
  /** The upstream's challenge (RFC 6750 §3), e.g. carrying a new `scope=`; never sent to the client. */
  readonly wwwAuthenticate: string | undefined;
  /** 1, or 2 when the retry with fresh credentials was refused too (a "retry" then is not honoured). */
  readonly attempt: number;
}

/** A JSON answer up to this size is read whole (cheaper than piping a stream); larger ones stream through. */
const BUFFERED_JSON_LIMIT = 1024 * 1024;

/** Up to this size a JSON answer is classified with JSON.parse (measured 2–3× faster than the byte scanner). */
const PARSE_VERDICT_LIMIT = 64 * 1024;

/**
 * What a whole JSON answer carries. Both readings agree on valid JSON; the lenient byte scanner decides
 * for a body JSON.parse rejects, as it always has, and reads large bodies without building them — but
 * not for a body that stops mid-value, which is no answer at all.
 */
function bufferedVerdict(bytes: Uint8Array, watchToolErrors: boolean): ResponseVerdict | ParsedVerdict {
  const small = bytes.byteLength <= PARSE_VERDICT_LIMIT;
  if (small) {
    const parsed = parsedVerdict(bytes, watchToolErrors);
    if (parsed.responses > 0) return parsed;
    // Cut short: no answer, whatever the scanner would find in the part that came (-32086).
    if (parsed.value === undefined && !closesLikeJson(bytes)) return parsed;
  } else if (!closesLikeJson(bytes, true)) return parsedVerdict(new Uint8Array(), watchToolErrors);
  const scanner = new JsonRpcScanner(watchToolErrors);
  scanner.feed(bytes);
  return scanner.responses > 0 ? scanner : parsedVerdict(bytes, watchToolErrors);
}

/** Why the gateway aborted the upstream fetch. */
type AbortCause = "client_gone" | "upstream_timeout" | "upstream_connect_timeout" | "upstream_sse_idle_timeout";

const expectsAnswer = (call: McpCall) => call.kind === "request" || call.kind === "batch";

/** The client left before the answer was complete. */
const CANCELLED = { outcome: "cancelled", mcpStatus: "none", failureOrigin: "client", reasonCode: "client_gone" } as const;

/** What the gateway knows about the upstream's side of a failure; status and type also go to the client. */
interface FailureDetails {
  readonly upstreamStatus?: number;
  readonly upstreamContentType?: string;
  /** The network error, for the log only: it may name internal hosts. */
  readonly upstreamError?: string;
}

/** Outcome of a JSON-RPC answer that reached the client (docs/proxy.md#outcome). */
function classify(verdict: ResponseVerdict, status: number): Pick<Completion, "outcome" | "mcpStatus" | "failureOrigin" | "jsonRpcErrorCode"> {
  const mcpStatus = verdict.errors > 0 ? "error" : verdict.toolErrors > 0 ? "tool_error" : "result";
  const jsonRpcErrorCode = verdict.errorCode;
  // A JSON-RPC error with a 4xx is the upstream's transport refusing the request (no session, bad
  // protocol version, wrong Accept): the client's doing. With a 5xx it is the upstream's failure.
  if (status >= 500) return { outcome: "failure", mcpStatus, failureOrigin: "upstream", jsonRpcErrorCode };
  if (status >= 400) return { outcome: "failure", mcpStatus, failureOrigin: "client", jsonRpcErrorCode };
  return { outcome: mcpStatus === "result" ? "success" : "application_error", mcpStatus, jsonRpcErrorCode };
}

export async function forwardToUpstream(target: UpstreamTarget, ex: Exchange): Promise<UpstreamAnswer> {
  const { limits } = target;
  const controller = new AbortController();
  const signal = controller.signal;
  const abort = (cause: AbortCause) => {
    if (!signal.aborted) controller.abort(cause);
  };
  const onClientGone = () => abort("client_gone");
  if (ex.clientSignal.aborted) abort("client_gone");
  else ex.clientSignal.addEventListener("abort", onClientGone);
  const deadline = deadlineAfter(limits.requestTimeoutMs, () => abort("upstream_timeout"));
  let answered = false;
  const connectCheck = deadlineAfter(limits.connectTimeoutMs, () => {
    void probeConnect(target.hostname, target.port, limits.connectTimeoutMs).then((result) => {
      if (result === "timeout" && !answered) abort("upstream_connect_timeout");
    });
  });
  let finished = false;
  let attempts = 0;
  const finish = (completion: Completion) => {
    if (finished) return;
    finished = true;
    deadline.cancel();
    connectCheck.cancel();
    ex.clientSignal.removeEventListener("abort", onClientGone);
    ex.complete(attempts > 1 ? { ...completion, attempts } : completion);
  };
  const cause = () => (signal.aborted ? (signal.reason as AbortCause) : undefined);

  /** The gateway answers for the upstream: a JSON-RPC error with the request's id. */
  const fail = (reason: FaultReason, upstreamMs: number, details: FailureDetails = {}): UpstreamAnswer => {
    const fault = FAULTS[reason];
    const { upstreamError, ...forClient } = details;
    finish({
      outcome: reason === "upstream_auth_refused" ? "denied" : "failure",
      mcpStatus: "error",
      httpStatus: fault.httpStatus,
      failureOrigin: fault.origin,
      reasonCode: reason,
      jsonRpcErrorCode: fault.code,
      upstreamMs,
      ...details,
    });
    return new UpstreamAnswer(faultResponse(reason, ex.call.id, ex.requestId, forClient), false);
  };
  /** The client left: nobody will read this response; the event says so (499, as nginx logs it). */
  const cancelled = (upstreamMs: number, upstreamStatus?: number): UpstreamAnswer => {
    finish({ ...CANCELLED, httpStatus: 499, upstreamMs, ...(upstreamStatus ? { upstreamStatus } : {}) });
    return new UpstreamAnswer(new Response(null, { status: 499 }), false);
  };

  let url = target.url;
  if (target.forwardSearch && ex.search) url += (url.includes("?") ? "&" : "?") + ex.search.slice(1);

  let sentAt = performance.now();
  let upstream: Response;
  // At most two attempts: the second only when onRefused asked for it. The deadline covers both.
  for (;;) {
    attempts++;
    sentAt = performance.now();
    try {
      upstream = await fetch(url, {
        method: "POST",
        headers: ex.headers,
        body: ex.body,
        redirect: target.followRedirects ? "follow" : "manual",
        signal,
        tls: target.tls,
        // Bun's own socket-idle timer (5 min) would cut long tool calls; the limits above rule instead.
        timeout: false,
      });
    } catch (err) {
      answered = true;
      const upstreamMs = performance.now() - sentAt;
      const why = cause();
      if (why === "client_gone") return cancelled(upstreamMs);
      return fail(why ?? "upstream_unreachable", upstreamMs, { upstreamError: (err as Error).message });
    }
    answered = true;
    connectCheck.cancel();
    const refused = upstream.status;
    if (refused !== 401 && refused !== 403) break;
    void upstream.body?.cancel();
    const refusal: UpstreamRefusal = { status: refused, wwwAuthenticate: upstream.headers.get("www-authenticate") ?? undefined, attempt: attempts };
    const decision = ex.onRefused ? await ex.onRefused(refusal) : undefined;
    if (decision === "retry" && attempts === 1) continue;
    const upstreamMs = performance.now() - sentAt;
    if (decision instanceof Response) {
      finish({ outcome: "denied", mcpStatus: "error", httpStatus: decision.status, upstreamStatus: refused, failureOrigin: "upstream", reasonCode: "upstream_auth_refused", upstreamMs });
      return new UpstreamAnswer(decision, false);
    }
    return fail("upstream_auth_refused", upstreamMs, { upstreamStatus: refused });
  }
  const status = upstream.status;

  if (status >= 300 && status < 400 && redirectsElsewhere(upstream.headers.get("location"), url)) {
    void upstream.body?.cancel();
    // -32086 with a 3xx upstreamStatus in error.data: docs/proxy.md#responses.
    return fail("upstream_bad_response", performance.now() - sentAt, { upstreamStatus: status });
  }

  const contentType = upstream.headers.get("content-type") ?? "";
  if (contentType.startsWith("text/event-stream")) return relay(upstream, "sse");
  if (contentType.startsWith("application/json")) {
    const length = upstream.headers.get("content-length");
    if (length !== null && Number(length) <= BUFFERED_JSON_LIMIT) return buffered(upstream);
    return relay(upstream, "json");
  }
  const upstreamMs = performance.now() - sentAt;
  if (status >= 300 && status < 400) {
    // followRedirects false (the default): the client sees the upstream's same-origin redirect and Location as is.
    finish({ outcome: "redirected", mcpStatus: "none", httpStatus: status, upstreamStatus: status, responseType: "other", upstreamMs });
    return proxiedAnswer(upstream.body, status, upstream.headers, ex.requestId);
  }
  if (status < 300 && !expectsAnswer(ex.call)) {
    // A notification or response: 202 Accepted, normally with no body.
    finish({ outcome: "success", mcpStatus: "accepted", httpStatus: status, upstreamStatus: status, responseType: upstream.body ? "other" : "empty", upstreamMs });
    return proxiedAnswer(upstream.body, status, upstream.headers, ex.requestId);
  }
  void upstream.body?.cancel();
  return fail("upstream_bad_response", upstreamMs, contentType ? { upstreamStatus: status, upstreamContentType: contentType } : { upstreamStatus: status });

  async function buffered(response: Response): Promise<UpstreamAnswer> {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await response.bytes();
    } catch (err) {
      const upstreamMs = performance.now() - sentAt;
      const why = cause();
      if (why === "client_gone") return cancelled(upstreamMs, response.status);
      return fail(why ?? "upstream_unreachable", upstreamMs, { upstreamStatus: response.status, upstreamError: (err as Error).message });
    }
    const upstreamMs = performance.now() - sentAt;
    const watchToolErrors = ex.call.mcpMethod === "tools/call" || ex.call.kind === "batch";
    const verdict = bufferedVerdict(bytes, watchToolErrors);
    if (verdict.responses === 0) {
      if (!expectsAnswer(ex.call) && response.status < 300) {
        finish({ outcome: "success", mcpStatus: "accepted", httpStatus: response.status, upstreamStatus: response.status, responseType: "json", upstreamMs });
        return proxiedAnswer(bytes, response.status, response.headers, ex.requestId);
      }
      return fail("upstream_bad_response", upstreamMs, { upstreamStatus: response.status, upstreamContentType: contentType });
    }
    finish({ ...classify(verdict, response.status), httpStatus: response.status, upstreamStatus: response.status, responseType: "json", upstreamMs });
    // The parsed body goes along, so a response hook (the capability filter) does not parse it again.
    return proxiedAnswer(bytes, response.status, response.headers, ex.requestId, "value" in verdict ? verdict.value : undefined);
  }

  /**
   * Pass a body through chunk by chunk (pull-driven, highWaterMark 0: nothing is read from the upstream
   * before the client wants it, so backpressure reaches the upstream). An event stream gets the idle
   * timer, and if it ends or fails before carrying the answer, one last event with a JSON-RPC error.
   */
  function relay(response: Response, kind: "sse" | "json"): UpstreamAnswer {
    const watchToolErrors = ex.call.mcpMethod === "tools/call" || ex.call.kind === "batch";
    const sse = kind === "sse" ? new SseScanner(watchToolErrors) : undefined;
    const json = kind === "json" ? new JsonRpcScanner(watchToolErrors) : undefined;
    const status = response.status;
    const reader = response.body!.getReader();
    const idle = sse ? setTimeout(abort, limits.sseIdleTimeoutMs, "upstream_sse_idle_timeout") : undefined;
    const base = { httpStatus: status, upstreamStatus: status, responseType: kind } as const;
    const verdict = () => (sse ? sse.response : json!.responses > 0 ? json : undefined);
    const end = (completion: Completion) => {
      clearTimeout(idle);
      finish(sse ? { ...completion, sseEvents: sse.events } : completion);
    };
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(out) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (err) {
            const upstreamMs = performance.now() - sentAt;
            const why = cause();
            if (why === "client_gone") {
              end({ ...base, ...CANCELLED, upstreamMs });
              return;
            }
            const reason = why ?? "upstream_unreachable";
            // Only a whole SSE event is a delivered answer; a JSON body is complete only at its end.
            const delivered = sse?.response;
            if (delivered) {
              // The answer already went through; the upstream merely failed to close the stream.
              end({ ...base, ...classify(delivered, status), reasonCode: reason, upstreamMs });
              out.close();
              return;
            }
            const fault = FAULTS[reason];
            const failure = { ...base, outcome: "failure", failureOrigin: fault.origin, reasonCode: reason, upstreamMs, upstreamError: (err as Error).message } as const;
            if (!sse) {
              // A JSON body cannot take an error after its first bytes: the client sees it cut short.
              // No reason to error(): Bun's server prints any reason to stderr, and this outcome is
              // already logged, with the upstream's error, by the completion event above.
              end({ ...failure, mcpStatus: "none" });
              out.error();
              return;
            }
            end({ ...failure, mcpStatus: "error", jsonRpcErrorCode: fault.code });
            out.enqueue(faultEvent(reason, ex.call.id, ex.requestId));
            out.close();
            return;
          }
          if (chunk.done) {
            const upstreamMs = performance.now() - sentAt;
            const delivered = verdict();
            if (delivered) end({ ...base, ...classify(delivered, status), upstreamMs });
            else if (sse && expectsAnswer(ex.call)) {
              out.enqueue(faultEvent("upstream_stream_incomplete", ex.call.id, ex.requestId));
              const fault = FAULTS.upstream_stream_incomplete;
              end({ ...base, outcome: "partial", mcpStatus: "error", failureOrigin: fault.origin, reasonCode: "upstream_stream_incomplete", jsonRpcErrorCode: fault.code, upstreamMs });
            } else if (expectsAnswer(ex.call)) end({ ...base, outcome: "failure", mcpStatus: "none", failureOrigin: "upstream", reasonCode: "upstream_bad_response", upstreamMs });
            else end({ ...base, outcome: "success", mcpStatus: "accepted", upstreamMs });
            out.close();
            return;
          }
          idle?.refresh();
          if (sse) sse.feed(chunk.value);
          else if (!json!.done) json!.feed(chunk.value);
          out.enqueue(chunk.value);
        },
        cancel() {
          // The client went away mid-stream: stop the upstream too.
          abort("client_gone");
          void reader.cancel().catch(() => undefined);
          end({ ...base, ...CANCELLED, upstreamMs: performance.now() - sentAt });
        },
      },
      { highWaterMark: 0 },
    );
    return proxiedAnswer(body, status, response.headers, ex.requestId);
  }
}
