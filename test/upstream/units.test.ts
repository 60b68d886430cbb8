import { describe, expect, it } from "bun:test";
import * as v from "valibot";
import { McpTokenExchangeInboundOptionsSchema } from "../../src/schemas/mcp-token-exchange-inbound.ts";
import { SealingKey, SealOpenError } from "../../src/store/sealed.ts";
import { connectRequiredBody } from "../../src/upstream/connect-required.ts";
import { prmCandidates } from "../../src/upstream/discovery.ts";
import { upstreamSpecFor } from "../../src/upstream/spec.ts";
import { mintTicket, ticketKey, verifyTicket } from "../../src/upstream/ticket.ts";

// The pure parts of upstream OAuth, checked as values.

const options = (o: object) => v.safeParse(McpTokenExchangeInboundOptionsSchema, { displayName: "Linear", authMode: "user-oauth", ...o });
const spec = (o: object = {}, url = "https://mcp.linear.app/mcp") =>
  upstreamSpecFor({ name: "mcp-token-exchange-linear", policyType: "mcp-token-exchange-inbound", exportName: "McpTokenExchangeInboundPolicy", options: (options(o) as { output: unknown }).output }, url, ["linear-mcp-server"]);

describe("mcp-token-exchange-inbound options", () => {
  it("applies the defaults and derives id and authProfileId from the policy name", () => {
    const s = spec();
    expect(s.id).toBe("linear");
    expect(s.authProfileId).toBe("linear:user-oauth");
    expect(s.options).toMatchObject({ scopes: [], scopeDelimiter: " ", clientRegistration: { mode: "auto" } });
  });

  it("refuses authMode id-jag with a message naming the alternatives, and unknown keys", () => {
    const idJag = options({ authMode: "id-jag" });
    expect(idJag.success).toBe(false);
    expect(idJag.issues![0]!.message).toContain('use "user-oauth" or "shared-oauth"');
    expect(options({ colour: "red" }).success).toBe(false);
  });

  it("needs a client secret for a secret-based manual registration", () => {
    expect(options({ clientRegistration: { mode: "manual", clientId: "c", tokenEndpointAuthMethod: "client_secret_basic" } }).success).toBe(false);
    expect(options({ clientRegistration: { mode: "manual", clientId: "c", tokenEndpointAuthMethod: "none" } }).success).toBe(true);
  });
});

describe("discovery order", () => {
  it("tries the configured URL, the challenge's, the path-inserted one, then the root one (RFC 9728 §3.1)", () => {
    expect(prmCandidates(spec(), "https://mcp.linear.app/.well-known/oauth-protected-resource/x")).toEqual([
      "https://mcp.linear.app/.well-known/oauth-protected-resource/x",
      "https://mcp.linear.app/.well-known/oauth-protected-resource/mcp",
      "https://mcp.linear.app/.well-known/oauth-protected-resource",
    ]);
    expect(prmCandidates(spec({ protectedResourceMetadataUrl: "https://mcp.linear.app/.well-known/oauth-protected-resource" }), undefined)[0]).toBe("https://mcp.linear.app/.well-known/oauth-protected-resource");
  });
});

describe("the -32042 answer", () => {
  it("carries Zuplo's data and the MCP URL-elicitation form", () => {
    const body = JSON.parse(connectRequiredBody(3, { state: "authenticating", spec: spec(), operationId: "linear-mcp-server", authUrl: "https://gw/auth/connections/linear/connect?browserTicket=bt_x" }));
    expect(body).toMatchObject({
      jsonrpc: "2.0",
      id: 3,
      error: {
        code: -32042,
        message: "Connect Linear to continue.",
        data: { state: "authenticating", upstreamServerId: "linear", operationId: "linear-mcp-server", nextAction: "redirect", authProfileId: "linear:user-oauth", elicitations: [{ mode: "url", url: "https://gw/auth/connections/linear/connect?browserTicket=bt_x", message: "Connect Linear to continue." }] },
      },
    });
  });
});

describe("browserTicket", () => {
  const key = ticketKey(new Uint8Array(32).fill(7));
  const ticket = { subject: "alice", upstreamId: "linear", operationId: "op" };

  it("verifies while fresh, and not after it expires", () => {
    const value = mintTicket(key, ticket, 1_000);
    expect(verifyTicket(key, value, 2_000)).toMatchObject(ticket);
    expect(verifyTicket(key, value, 1_000 + 10 * 60_000)).toBeUndefined();
  });

  it("refuses a ticket signed with another key or with a changed payload", () => {
    const value = mintTicket(key, ticket, 1_000);
    expect(verifyTicket(ticketKey(new Uint8Array(32).fill(8)), value, 2_000)).toBeUndefined();
    const [payload, mac] = value.slice(3).split(".");
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), subject: "mallory" })).toString("base64url");
    expect(verifyTicket(key, `bt_${forged}.${mac}`, 2_000)).toBeUndefined();
  });
});

describe("sealed boxes", () => {
  it("open only with the same key and the same associated data", async () => {
    const key = new SealingKey(crypto.getRandomValues(new Uint8Array(32)));
    const box = await key.seal("upstream-token", "alice\u0000linear");
    expect(new TextDecoder().decode(box)).not.toContain("upstream-token");
    expect(await key.open(box, "alice\u0000linear")).toBe("upstream-token");
    expect(key.open(box, "bob\u0000linear")).rejects.toBeInstanceOf(SealOpenError);
    expect(new SealingKey(crypto.getRandomValues(new Uint8Array(32))).open(box, "alice\u0000linear")).rejects.toBeInstanceOf(SealOpenError);
  });
});
