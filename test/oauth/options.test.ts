import { describe, expect, it } from "bun:test";
import * as v from "valibot";
import { loadProject } from "../../src/config/load.ts";
import { deriveAuthorizationServer, isDevLoginUrl, McpOAuthInboundOptionsSchema as OptionsSchema } from "../../src/schemas/mcp-oauth-inbound.ts";
import { REPO } from "../helpers/cli.ts";
import { DEMO_PATH, writeOAuthProject } from "./helpers.ts";

// mcp-oauth-inbound options (spec §2.5), validated once when the project loads.

const OIDC = { issuer: "http://127.0.0.1:9000", jwksUrl: "http://127.0.0.1:9000/.well-known/jwks.json" };
const parse = (options: unknown) => v.safeParse(OptionsSchema, options);
const messages = (options: unknown) => {
  const r = parse(options);
  return r.success ? [] : r.issues.map((i) => i.message);
};

describe("mcp-oauth-inbound options", () => {
  it("fills the documented defaults for a dev-login policy", () => {
    const r = parse({ oidc: OIDC, browserLogin: { url: "http://127.0.0.1:9000/oauth/dev-login" } });
    expect(r.success).toBe(true);
    expect(r.output).toMatchObject({
      browserLogin: { scope: "openid profile email", pkce: "none", remoteTimeoutMs: 10_000, stateTtlSeconds: 900, sessionTtlSeconds: 28_800 },
      gateway: { accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 2_592_000, cimdEnabled: true },
    });
  });

  it("recognises dev-login by path, on any host and under a base path", () => {
    expect(isDevLoginUrl("http://127.0.0.1:9000/oauth/dev-login")).toBe(true);
    expect(isDevLoginUrl("http://localhost:8080/__zuplo/oauth/dev-login/")).toBe(true);
    expect(isDevLoginUrl("https://idp.example/authorize")).toBe(false);
  });

  it("needs tokenUrl, clientId and clientSecret for a federated login", () => {
    expect(messages({ oidc: OIDC, browserLogin: { url: "https://idp.example/authorize" } }).join()).toContain("needs tokenUrl, clientId and clientSecret");
    const ok = parse({ oidc: OIDC, browserLogin: { url: "https://idp.example/authorize", tokenUrl: "https://idp.example/token", clientId: "a", clientSecret: "b" } });
    expect(ok.success).toBe(true);
    expect(deriveAuthorizationServer(ok.output as v.InferOutput<typeof OptionsSchema>).login.kind).toBe("federated_oidc");
  });

  it("accepts idJag disabled and refuses it enabled: not supported yet", () => {
    expect(parse({ oidc: OIDC, browserLogin: { url: "http://x/oauth/dev-login" }, idJag: { enabled: false } }).success).toBe(true);
    expect(messages({ oidc: OIDC, browserLogin: { url: "http://x/oauth/dev-login" }, idJag: { enabled: true, trustedIssuers: [] } }).join()).toContain("not supported by this mcpgw version yet");
  });

  it("refuses unknown options, missing oidc, and non-positive TTLs", () => {
    expect(parse({ oidc: OIDC, browserLogin: { url: "http://x/oauth/dev-login" }, extra: 1 }).success).toBe(false);
    expect(parse({ oidc: OIDC, browserLogin: { url: "http://x/oauth/dev-login" }, gateway: { accessTokenTTL: 5 } }).success).toBe(false);
    expect(parse({ browserLogin: { url: "http://x/oauth/dev-login" } }).success).toBe(false);
    expect(parse({ oidc: OIDC, browserLogin: { url: "http://x/oauth/dev-login" }, gateway: { accessTokenTtlSeconds: 0 } }).success).toBe(false);
  });

  it("reports a bad policy at load, with the policy's JSON pointer", () => {
    const dir = writeOAuthProject({ browserLogin: { url: "https://idp.example/authorize" } });
    const r = loadProject(dir, { env: {} });
    expect(r.ok).toBe(false);
    const problem = !r.ok ? r.problems.find((p) => p.code === "MCPGW_CONFIG_POLICY_OPTIONS_INVALID") : undefined;
    expect(problem?.pointer).toBe("/policies/0/handler/options/browserLogin");
  });

  it("loads the repository's example project: the demo route behind dev-login", () => {
    const r = loadProject(REPO, { env: {} });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const route = r.config.routes.find((x) => x.path === DEMO_PATH)!;
    expect(route.inbound).toEqual(["dev-oauth", "tag-upstream-requests"]);
    expect(r.config.policies.get("dev-oauth")?.policyType).toBe("mcp-oauth-inbound");
  });
});
