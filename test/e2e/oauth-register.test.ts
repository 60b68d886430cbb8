import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { RunningGateway } from "../../src/cli/serve.ts";
import { startGateway, writeOAuthProject } from "../oauth/helpers.ts";

// Dynamic client registration (RFC 7591) over HTTP: what is accepted, what is refused and with which
// RFC 7591 §3.2.2 error.

let gw: RunningGateway;
beforeAll(async () => {
  gw = await startGateway(writeOAuthProject());
});
afterAll(() => gw.stop());

function registerRaw(body: unknown, contentType = "application/json"): Promise<Response> {
  return fetch(`${gw.url}/oauth/register`, { method: "POST", headers: { "content-type": contentType }, body: typeof body === "string" ? body : JSON.stringify(body) });
}

async function refused(body: unknown, error: string, contains?: string): Promise<void> {
  const r = await registerRaw(body);
  const json = (await r.json()) as Record<string, string>;
  expect({ status: r.status, error: json.error }).toEqual({ status: 400, error });
  if (contains) expect(json.error_description).toContain(contains);
}

describe("dynamic client registration", () => {
  it("registers a public client: 201, a dcr_ client_id, no secret, CORS for browser clients", async () => {
    const r = await registerRaw({ client_name: "VS Code", redirect_uris: ["http://127.0.0.1:33418/", "https://vscode.dev/redirect"], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], scope: "mcp:tools" });
    expect(r.status).toBe(201);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("cache-control")).toBe("no-store");
    const body = (await r.json()) as Record<string, unknown>;
    expect(body.client_id).toMatch(/^dcr_[A-Za-z0-9_-]{22}$/);
    expect(typeof body.client_id_issued_at).toBe("number");
    expect(body.client_secret).toBeUndefined();
    expect(body).toMatchObject({ client_name: "VS Code", token_endpoint_auth_method: "none", scope: "mcp:tools", grant_types: ["authorization_code", "refresh_token"] });
  });

  it("returns a secret once for a confidential client, expiring with the 90-day registration", async () => {
    const r = await registerRaw({ redirect_uris: ["https://app.example.com/cb"] });
    const body = (await r.json()) as Record<string, number | string>;
    expect(body.token_endpoint_auth_method).toBe("client_secret_basic"); // RFC 7591 §2 default
    expect(String(body.client_secret)).toMatch(/^cs_[A-Za-z0-9_-]{43}$/);
    const days = (Number(body.client_secret_expires_at) - Number(body.client_id_issued_at)) / 86_400;
    expect(days).toBe(90);
  });

  it("accepts https and loopback http redirect URIs (127.0.0.1, [::1], localhost)", async () => {
    for (const uri of ["https://app.example.com/cb", "http://127.0.0.1/cb", "http://[::1]:8080/cb", "http://localhost:6274/oauth/callback"]) {
      expect((await registerRaw({ redirect_uris: [uri], token_endpoint_auth_method: "none" })).status).toBe(201);
    }
  });

  it("refuses http on a non-loopback host, fragments, browser-handled schemes and relative URIs", async () => {
    await refused({ redirect_uris: ["http://app.example.com/cb"] }, "invalid_redirect_uri", "non-loopback");
    await refused({ redirect_uris: ["https://app.example.com/cb#x"] }, "invalid_redirect_uri", "fragment");
    await refused({ redirect_uris: ["javascript:alert(1)"] }, "invalid_redirect_uri", "scheme");
    await refused({ redirect_uris: ["/cb"] }, "invalid_redirect_uri", "absolute");
  });

  it("refuses scopes other than mcp:tools", async () => {
    await refused({ redirect_uris: ["https://a.example/cb"], scope: "mcp:tools openid" }, "invalid_client_metadata", "mcp:tools");
  });

  it("refuses unsupported auth methods, grant types and response types", async () => {
    await refused({ redirect_uris: ["https://a.example/cb"], token_endpoint_auth_method: "private_key_jwt" }, "invalid_client_metadata", "private_key_jwt");
    await refused({ redirect_uris: ["https://a.example/cb"], grant_types: ["client_credentials"] }, "invalid_client_metadata", "client_credentials");
    await refused({ redirect_uris: ["https://a.example/cb"], response_types: ["token"] }, "invalid_client_metadata");
  });

  it("refuses a missing redirect_uris, a non-object body and malformed JSON", async () => {
    await refused({ client_name: "x" }, "invalid_client_metadata", "redirect_uris");
    await refused([1, 2], "invalid_client_metadata");
    await refused("{not json", "invalid_client_metadata", "not valid JSON");
    const form = await registerRaw("redirect_uris=x", "application/x-www-form-urlencoded");
    expect(form.status).toBe(400);
  });
});
