import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Completion } from "../../src/mcp/completion.ts";
import { forwardToUpstream, type Exchange, type UpstreamRefusal, type UpstreamTarget } from "../../src/mcp/forward.ts";
import type { McpCall } from "../../src/mcp/jsonrpc.ts";

// The upstream-credentials contract inside the forward step: when the upstream refuses the gateway's
// credentials, onRefused may refresh them and ask for ONE retry, or answer the client itself. Whatever
// happens, the client request completes exactly once. A real HTTP upstream on loopback checks the token.

let upstream: ReturnType<typeof Bun.serve>;
const seen: string[] = [];

beforeAll(() => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const auth = request.headers.get("authorization") ?? "";
      seen.push(auth);
      const { id } = (await request.json()) as { id: number };
      if (auth !== "Bearer fresh") return new Response("no", { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token", scope="read"' } });
      return Response.json({ jsonrpc: "2.0", id, result: { tools: [] } });
    },
  });
});
afterAll(() => upstream.stop(true));

const target = (): UpstreamTarget => ({
  url: `http://127.0.0.1:${upstream.port}/mcp`,
  forwardSearch: false,
  followRedirects: false,
  tls: undefined,
  hostname: "127.0.0.1",
  port: upstream.port!,
  limits: { connectTimeoutMs: 2000, requestTimeoutMs: 5000, sseIdleTimeoutMs: 5000 },
});

const call: McpCall = { kind: "request", id: 7, mcpMethod: "tools/list", capabilityName: undefined, clientName: undefined };

function exchange(token: string, onRefused: Exchange["onRefused"]): { ex: Exchange; completions: Completion[] } {
  const completions: Completion[] = [];
  const headers = new Headers({ "content-type": "application/json", accept: "application/json", authorization: `Bearer ${token}` });
  const ex: Exchange = {
    call,
    body: new TextEncoder().encode(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list" })),
    headers,
    search: "",
    clientSignal: new AbortController().signal,
    requestId: "req-1",
    complete: (c) => completions.push(c),
    onRefused,
  };
  return { ex, completions };
}

describe("forward step: upstream refuses the gateway's credentials", () => {
  it("retries once with the refreshed credential and completes once, with two attempts", async () => {
    seen.length = 0;
    const refusals: UpstreamRefusal[] = [];
    const { ex, completions } = exchange("stale", async (refusal) => {
      refusals.push(refusal);
      ex.headers.set("authorization", "Bearer fresh");
      return "retry";
    });
    const answer = await forwardToUpstream(target(), ex);
    expect(answer.response.status).toBe(200);
    expect(await answer.response.json()).toEqual({ jsonrpc: "2.0", id: 7, result: { tools: [] } });
    expect(seen).toEqual(["Bearer stale", "Bearer fresh"]);
    expect(refusals).toEqual([{ status: 401, wwwAuthenticate: 'Bearer error="invalid_token", scope="read"', attempt: 1 }]);
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ outcome: "success", httpStatus: 200, attempts: 2 });
  });

  it("never retries twice: a second refusal is the -32087 fault, still one completion", async () => {
    seen.length = 0;
    const asked: number[] = [];
    // Told which attempt was refused; asking for a retry again after the second is not honoured.
    const { ex, completions } = exchange("stale", async (refusal) => (asked.push(refusal.attempt), "retry"));
    const answer = await forwardToUpstream(target(), ex);
    expect(seen).toEqual(["Bearer stale", "Bearer stale"]);
    expect(asked).toEqual([1, 2]);
    expect(answer.response.status).toBe(502);
    expect(((await answer.response.json()) as { error: { code: number } }).error.code).toBe(-32087);
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ outcome: "denied", reasonCode: "upstream_auth_refused", attempts: 2 });
  });

  it("answers with the callback's response (e.g. connect again) instead of retrying", async () => {
    seen.length = 0;
    const { ex, completions } = exchange("revoked", async () => Response.json({ jsonrpc: "2.0", id: 7, error: { code: -32042, message: "connect again" } }, { status: 200 }));
    const answer = await forwardToUpstream(target(), ex);
    expect(seen).toEqual(["Bearer revoked"]);
    expect(((await answer.response.json()) as { error: { code: number } }).error.code).toBe(-32042);
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ outcome: "denied", upstreamStatus: 401 });
    expect(completions[0]!.attempts).toBeUndefined();
  });

  it("without a callback, answers the -32087 fault after one attempt", async () => {
    seen.length = 0;
    const { ex, completions } = exchange("stale", undefined);
    const answer = await forwardToUpstream(target(), ex);
    expect(seen).toEqual(["Bearer stale"]);
    expect(answer.response.status).toBe(502);
    expect(completions).toHaveLength(1);
  });
});
