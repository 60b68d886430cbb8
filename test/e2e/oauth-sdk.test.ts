import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningGateway } from "../../src/cli/serve.ts";
import { spawnCli, type CliRun } from "../helpers/cli.ts";
import { DEMO_PATH, startGateway, tempDataDir, writeOAuthProject } from "../oauth/helpers.ts";
import { connectAndCall, HeadlessProvider, REDIRECT } from "../helpers/sdk-oauth-client.ts";

// The MCP SDK's own OAuth client (auth(): PRM → AS metadata → DCR or CIMD → PKCE → authorize → token)
// against the real gateway, then a tools/call through it to the demo upstream. The browser leg is a real
// HTTP walk: dev-login, the consent page's HTML form, the Authorize button (mcp-conformance.md §5.1).

describe("the MCP SDK client against the gateway's authorization server", () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway(writeOAuthProject());
  });
  afterAll(() => gw.stop());

  it("registers with DCR, authorizes through dev-login and consent, and calls a tool", async () => {
    const provider = new HeadlessProvider();
    expect(await connectAndCall(new URL(`${gw.url}${DEMO_PATH}`), provider)).toBe("through the gateway");
    expect(provider.client?.client_id).toStartWith("dcr_");
    expect(provider.saved?.access_token).toStartWith("at_");
    expect(provider.saved?.refresh_token).toStartWith("rt_");
  });

  it("refreshes with the SDK when the access token is gone, rotating the refresh token", async () => {
    const provider = new HeadlessProvider();
    await connectAndCall(new URL(`${gw.url}${DEMO_PATH}`), provider);
    const firstRefresh = provider.saved!.refresh_token;
    // Drop the access token: the SDK's next 401 makes auth() use the refresh token (no browser).
    provider.saved = { ...provider.saved!, access_token: "at_" + "x".repeat(43) };
    provider.code = undefined;
    expect(await connectAndCall(new URL(`${gw.url}${DEMO_PATH}`), provider)).toBe("through the gateway");
    expect(provider.code).toBeUndefined(); // no second trip through the browser
    expect(provider.saved!.refresh_token).not.toBe(firstRefresh);
  });
});

describe("the MCP SDK client with a client ID metadata document (CIMD)", () => {
  let gw: CliRun;
  let cimd: ReturnType<typeof Bun.serve>;
  let cimdUrl: string;
  let gatewayUrl: string;
  let devLoginLink: string;
  beforeAll(async () => {
    // A CIMD document must be https (the SDK insists); a throwaway CA-less certificate for 127.0.0.1,
    // trusted by the gateway process through NODE_EXTRA_CA_CERTS as an operator would.
    const dir = mkdtempSync(join(tmpdir(), "mcpgw-cimd-"));
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    ], { stdio: "ignore" });
    cimd = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") },
      fetch: () =>
        Response.json(
          { client_id: cimdUrl, client_name: "CIMD Test Client", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" },
          { headers: { "cache-control": "max-age=120" } },
        ),
    });
    cimdUrl = `https://127.0.0.1:${cimd.port}/oauth/client.json`;
    gw = spawnCli(["dev", "--project", writeOAuthProject(), "--port", "0", "--data-dir", tempDataDir(), "--log-level", "debug"], {
      env: { NODE_EXTRA_CA_CERTS: join(dir, "cert.pem") },
    });
    gatewayUrl = await gw.url();
    devLoginLink = String((await gw.waitFor((e) => e.event === "dev_login_link")).url);
  });
  afterAll(async () => {
    await gw.stop();
    cimd.stop(true);
  });

  it("uses the URL as client_id, the gateway fetches and validates it, and the tool call goes through", async () => {
    const provider = new HeadlessProvider(cimdUrl, devLoginLink);
    expect(await connectAndCall(new URL(`${gatewayUrl}${DEMO_PATH}`), provider)).toBe("through the gateway");
    expect(provider.client?.client_id).toBe(cimdUrl);
    // The consent page named the client from its document; the log says who got tokens.
    const issued = await gw.waitFor((e) => e.event === "mcp_auth_downstream_token_issued");
    expect(issued.clientId).toBe(cimdUrl);
    expect(issued.subjectId).toBe("dev-browser-user");
    await gw.waitFor((e) => e.event === "mcp_auth_downstream_token_validated");
  });

  it("never writes a token, code, verifier or full redirect URI to the log", async () => {
    const provider = new HeadlessProvider(cimdUrl, devLoginLink);
    await connectAndCall(new URL(`${gatewayUrl}${DEMO_PATH}`), provider);
    await Bun.sleep(50);
    const log = gw.lines.join("\n");
    for (const secret of [provider.saved!.access_token, provider.saved!.refresh_token!, provider.verifier]) expect(log).not.toContain(secret);
    expect(log).not.toContain("53682/callback");
    expect(log).not.toMatch(/\b(at|rt|ac|sess|csrf)_[A-Za-z0-9_-]{20,}/);
    for (const event of ["mcp_auth_authorization_started", "mcp_auth_browser_login", "mcp_auth_consent_approved", "mcp_auth_downstream_token_issued"]) {
      expect(log).toContain(`"event":"${event}"`);
    }
  });
});
