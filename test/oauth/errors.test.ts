import { describe, expect, it } from "bun:test";
import {
  asOAuthError,
  authorizationErrorRedirect,
  bearerChallengeResponse,
  InvalidClient,
  InvalidGrant,
  InvalidTarget,
  InvalidToken,
  oauthErrorResponse,
  ServerError,
} from "../../src/oauth/errors.ts";

// The one error module: typed errors in, RFC 6749 / RFC 6750 / RFC 9207 responses out.

describe("OAuth error responses", () => {
  it("renders RFC 6749 §5.2 JSON, not cacheable", async () => {
    const r = oauthErrorResponse(new InvalidGrant("The authorization code has expired."));
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(await r.json()).toEqual({ error: "invalid_grant", error_description: "The authorization code has expired." });
    expect((await oauthErrorResponse(new InvalidTarget("x")).json()).error).toBe("invalid_target");
  });

  it("answers invalid_client 401, with a Basic challenge only when Basic was tried", () => {
    expect(oauthErrorResponse(new InvalidClient("no", true)).headers.get("www-authenticate")).toBe('Basic realm="OAuth"');
    const plain = oauthErrorResponse(new InvalidClient("no"));
    expect(plain.status).toBe(401);
    expect(plain.headers.get("www-authenticate")).toBeNull();
  });

  it("hides non-OAuth errors behind server_error", () => {
    const e = asOAuthError(new Error("SQLITE_BUSY: database is locked at /var/lib/secret/path"));
    expect(e).toBeInstanceOf(ServerError);
    expect(e.description).not.toContain("SQLITE");
  });

  it("redirects errors with state and iss (RFC 9207)", () => {
    const r = authorizationErrorRedirect(new InvalidTarget("unknown resource"), "http://127.0.0.1:5000/cb?keep=1", "st", "https://gw.example", 303);
    expect(r.status).toBe(303);
    const loc = new URL(r.headers.get("location")!);
    expect(Object.fromEntries(loc.searchParams)).toEqual({ keep: "1", error: "invalid_target", error_description: "unknown resource", state: "st", iss: "https://gw.example" });
  });
});

describe("bearer challenges", () => {
  it("omits error for a request without a token", () => {
    const r = bearerChallengeResponse({ resourceMetadataUrl: "https://gw/.well-known/oauth-protected-resource/mcp/a", scope: "mcp:tools" });
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toBe('Bearer realm="OAuth", resource_metadata="https://gw/.well-known/oauth-protected-resource/mcp/a", scope="mcp:tools"');
  });

  it("carries error and a quoted-string-safe description", () => {
    const r = bearerChallengeResponse({ resourceMetadataUrl: "u", scope: "mcp:tools", error: new InvalidToken('bad "token" \\ here', "invalid_token") });
    expect(r.headers.get("www-authenticate")).toBe('Bearer realm="OAuth", error="invalid_token", error_description="bad \\"token\\" \\\\ here", resource_metadata="u", scope="mcp:tools"');
  });
});
