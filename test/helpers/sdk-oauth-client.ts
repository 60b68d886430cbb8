import { expect } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError, type OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { Browser } from "../oauth/helpers.ts";

// The MCP SDK's own OAuth client (auth(): PRM → AS metadata → DCR or CIMD → PKCE → authorize → token)
// with the browser leg as a real HTTP walk: dev-login, the consent page's HTML form, the Authorize button.

export const REDIRECT = "http://127.0.0.1:53682/callback";

export class HeadlessProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  code: string | undefined;
  readonly browser = new Browser();
  /** `devLoginLink`: the start-up link of a gateway in another process, opened once as a person would. */
  constructor(
    readonly clientMetadataUrl?: string,
    readonly devLoginLink?: string,
  ) {}
  get redirectUrl() {
    return REDIRECT;
  }
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: "sdk-headless", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" };
  }
  state() {
    return crypto.randomUUID();
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(t: OAuthTokens) {
    this.saved = t;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery") {
    if (scope === "all" || scope === "tokens") this.saved = undefined;
    if (scope === "all" || scope === "client") this.client = undefined;
  }
  async redirectToAuthorization(url: URL) {
    if (this.devLoginLink) await this.browser.request(this.devLoginLink);
    const { page, stoppedAt } = await this.browser.navigate(url.href, "http://127.0.0.1:53682");
    let back = stoppedAt;
    if (!back) {
      expect(page.status).toBe(200);
      expect(page.body).toContain("Authorize");
      const answered = await this.browser.submitConsent(page, "approve");
      back = new URL(answered.headers.get("location")!);
    }
    expect(back.searchParams.get("error")).toBeNull();
    expect(back.searchParams.get("state")).toBe(url.searchParams.get("state"));
    expect(back.searchParams.get("iss")).toBeTruthy();
    this.code = back.searchParams.get("code") ?? undefined;
  }
}

/** connect() with the SDK's 401 → auth() → finishAuth(code) → reconnect dance; then call the echo tool. */
export async function connectAndCall(endpoint: URL, provider: HeadlessProvider): Promise<string> {
  let transport = new StreamableHTTPClientTransport(endpoint, { authProvider: provider });
  let client = new Client({ name: "sdk-headless", version: "0.0.1" });
  try {
    await client.connect(transport);
  } catch (err) {
    if (!(err instanceof UnauthorizedError) || !provider.code) throw err;
    await transport.finishAuth(provider.code);
    transport = new StreamableHTTPClientTransport(endpoint, { authProvider: provider });
    client = new Client({ name: "sdk-headless", version: "0.0.1" });
    await client.connect(transport);
  }
  const tools = await client.listTools();
  expect(tools.tools.map((t) => t.name)).toContain("echo");
  const result = await client.callTool({ name: "echo", arguments: { text: "through the gateway" } });
  await client.close();
  return (result.content as { type: string; text: string }[])[0]!.text;
}
