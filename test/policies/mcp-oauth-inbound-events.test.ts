import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { RunningGateway } from "../../src/cli/serve.ts";
import { hashCredential, mintCredential } from "../../src/oauth/credentials.ts";
import { rejectionOutcome, type RejectionOutcome } from "../../src/observe/events.ts";
import { openStore } from "../../src/store/open.ts";
import { DEMO_PATH, mcpPost, obtainTokens, startGateway, writeOAuthProject } from "../oauth/helpers.ts";

// Spec §5.1/§5.3 (Zuplo's analytics): a request the route refuses is one mcp_request_rejected event at
// `info` with its reasonCode and outcome `denied`, so a dashboard counting denials sees the 401s of
// clients without or with a bad token. The gateway runs at `info`, the level a deployment uses.

const OTHER_PATH = "/mcp/other-v1";

let gw: RunningGateway & { dataDir: string; logs: Record<string, unknown>[] };
beforeAll(async () => {
  gw = await startGateway(writeOAuthProject({ routes: { [DEMO_PATH]: "demo-mcp-server", [OTHER_PATH]: "other-mcp-server" } }), { logLevel: "info" });
});
afterAll(async () => {
  await gw.stop();
});

/** The mcp_request_rejected line of the request that got `response`. */
function rejectionOf(response: Response): Record<string, unknown> {
  const requestId = response.headers.get("x-request-id");
  const lines = gw.logs.filter((l) => l.event === "mcp_request_rejected" && l.requestId === requestId);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

const post = (path: string, headers: Record<string, string>) =>
  fetch(`${gw.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });

describe("mcp_request_rejected from mcp-oauth-inbound", () => {
  const cases: [name: string, send: () => Promise<Response>, status: number, reasonCode: string][] = [
    ["no Authorization header", () => mcpPost(`${gw.url}${DEMO_PATH}`, undefined), 401, "missing_token"],
    ["a Basic Authorization header", () => post(DEMO_PATH, { authorization: "Basic dXNlcjpwYXNz" }), 401, "missing_token"],
    ["a malformed Bearer header", () => post(DEMO_PATH, { authorization: "Bearer" }), 401, "invalid_token"],
    ["an unknown token", () => mcpPost(`${gw.url}${DEMO_PATH}`, `at_${"Z".repeat(43)}`), 401, "invalid_token"],
    ["a token in the query string", () => mcpPost(`${gw.url}${DEMO_PATH}?access_token=at_x`, undefined), 400, "token_in_query"],
  ];
  for (const [name, send, status, reasonCode] of cases) {
    it(`reports ${name} as ${status} ${reasonCode}, outcome denied, at info`, async () => {
      const r = await send();
      expect(r.status).toBe(status);
      expect(rejectionOf(r)).toMatchObject({
        level: "info",
        event: "mcp_request_rejected",
        operationId: "demo-mcp-server",
        httpMethod: "POST",
        transport: "streamable-http",
        httpStatus: status,
        reasonCode,
        outcome: "denied",
        failureOrigin: "client",
        rejectedBy: "mcp-oauth-inbound",
      });
    });
  }

  it("reports a token bound to another route with its reason, invalid_audience", async () => {
    const { tokens } = await obtainTokens(gw.url);
    const r = await mcpPost(`${gw.url}${OTHER_PATH}`, tokens.access_token);
    expect(r.status).toBe(401);
    expect(rejectionOf(r)).toMatchObject({ operationId: "other-mcp-server", httpStatus: 401, reasonCode: "invalid_audience", outcome: "denied" });
  });

  it("reports a 403 insufficient_scope with the subject it knows", async () => {
    // The gateway grants mcp:tools alone, so a grant without it can only be written to the store directly.
    const store = await openStore(gw.dataDir);
    const token = mintCredential("at");
    try {
      const now = Date.now();
      const grant = { grantId: `g_${crypto.randomUUID()}`, clientId: "test-client", subject: "scopeless-user", claims: "{}", resource: `${gw.url}${DEMO_PATH}`, operationId: "demo-mcp-server", scope: "profile", createdAt: now, expiresAt: now + 60_000 };
      await store.tokens.insertGrant(grant);
      await store.tokens.insertToken(hashCredential(token), "access", grant.grantId, now, now + 60_000);
    } finally {
      await store.close();
    }
    const r = await mcpPost(`${gw.url}${DEMO_PATH}`, token);
    expect(r.status).toBe(403);
    expect(r.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    expect(rejectionOf(r)).toMatchObject({ httpStatus: 403, reasonCode: "insufficient_scope", outcome: "denied", subjectId: "scopeless-user" });
  });

  it("writes nothing at info for an admitted call but its completion", async () => {
    const { tokens } = await obtainTokens(gw.url);
    const r = await mcpPost(`${gw.url}${DEMO_PATH}`, tokens.access_token);
    expect(r.status).toBe(200);
    await r.text();
    const requestId = r.headers.get("x-request-id");
    // The completion is written once the answer has fully passed through, which can trail the last byte.
    for (let i = 0; i < 100 && !gw.logs.some((l) => l.requestId === requestId); i++) await Bun.sleep(10);
    const events = gw.logs.filter((l) => l.requestId === requestId).map((l) => l.event);
    expect(events).toEqual(["capability_invocation_completed"]);
  });
});

describe("the outcome of a refusal (spec §5.3)", () => {
  const cases: [httpStatus: number, rejectedBy: string | undefined, outcome: RejectionOutcome][] = [
    [401, undefined, "denied"],
    [403, undefined, "denied"],
    [429, undefined, "denied"],
    [200, "mcp-capability-filter-inbound", "denied"],
    [400, "mcp-oauth-inbound", "denied"],
    [400, undefined, "failure"],
    [405, undefined, "failure"],
    [413, undefined, "failure"],
    [502, undefined, "failure"],
  ];
  for (const [httpStatus, rejectedBy, outcome] of cases) {
    it(`${httpStatus} answered by ${rejectedBy ?? "the gateway itself"} is ${outcome}`, () => {
      expect(rejectionOutcome({ httpStatus, ...(rejectedBy ? { rejectedBy } : {}) })).toBe(outcome);
    });
  }
});
