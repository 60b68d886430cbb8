import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { serve, type RunningGateway } from "../../src/cli/serve.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";
import { Browser, parseForm, rememberDevLoginKey, pkcePair, postForm, REDIRECT_URI, registerClient, tempDataDir, authorizeUrl, OAUTH_POLICY, oauthPolicy, type Page } from "../oauth/helpers.ts";
import { upstreamLogin } from "./peers.ts";

// The gateway side of the upstream OAuth tests: a project with dev-login people, one route fronting the
// protected upstream through mcp-token-exchange-inbound, the gateway served for real on loopback with
// its log lines captured, and the whole browser leg as a person walks it.

export const ROUTE = "/mcp/linear-v1";
export const OPERATION_ID = "linear-mcp-server";
export const EXCHANGE_POLICY = "mcp-token-exchange-linear";

/** `settings`: more of zuplo.jsonc's mcpgw block (publicOrigin for an https front). */
export function writeUpstreamProject(upstreamUrl: string, exchange: Record<string, unknown> = {}, people = ["alice", "bob", "carol"], settings: Record<string, unknown> = {}): string {
  return writeProject({
    zuplo: { ...MCP_ZUPLO, mcpgw: { devLogin: { users: Object.fromEntries(people.map((p) => [p, { email: `${p}@example.com` }])) }, ...settings } },
    policies: {
      policies: [
        oauthPolicy(),
        { name: EXCHANGE_POLICY, policyType: "mcp-token-exchange-inbound", handler: { module: "$import(@zuplo/runtime/mcp-gateway)", export: "McpTokenExchangeInboundPolicy", options: { displayName: "Linear", summary: "Linear issues, as you.", authMode: "user-oauth", ...exchange } } },
      ],
    },
    routes: routesDoc({ [ROUTE]: { "get,post": mcpRoute(OPERATION_ID, upstreamUrl, [OAUTH_POLICY, EXCHANGE_POLICY]) } }),
  });
}

export type LogEntry = Record<string, unknown>;

export interface Gateway extends RunningGateway {
  readonly dataDir: string;
  readonly logs: LogEntry[];
}

export async function startUpstreamGateway(projectDir: string, options: { dataDir?: string; port?: number } = {}): Promise<Gateway> {
  const logs: LogEntry[] = [];
  const dataDir = options.dataDir ?? tempDataDir();
  const gw = await serve({ projectDir, port: options.port ?? 0, host: "127.0.0.1", dataDir, logLevel: "debug", logFormat: "json" }, "dev", {}, { sink: { write: (line: string) => void logs.push(JSON.parse(line) as LogEntry) } });
  rememberDevLoginKey(gw);
  return Object.assign(gw, { dataDir, logs });
}

/** On the dev-login picker, sign in as `person` (a POST, as the picker's button does); elsewhere, stay. */
export async function pickPerson(browser: Browser, page: Page, person: string): Promise<Page> {
  if (!page.body.includes(`name="as" value="${person}"`)) return page;
  const signedIn = await browser.submitForm(page, { as: person });
  return (await browser.navigate(new URL(signedIn.headers.get("location")!, signedIn.url).href)).page;
}

export interface SignedIn {
  readonly browser: Browser;
  readonly route: string;
  readonly consent: Page;
  readonly clientId: string;
  readonly verifier: string;
}

/** authorize → dev-login as `person` → the consent page (not yet answered). */
export async function openConsent(gatewayUrl: string, person: string, browser = new Browser(), route = ROUTE): Promise<SignedIn> {
  const client = await registerClient(gatewayUrl);
  const { verifier, challenge } = pkcePair();
  const { page } = await browser.navigate(authorizeUrl(gatewayUrl, { clientId: client.client_id, challenge, resource: `${gatewayUrl}${route}`, state: "s" }));
  const consent = await pickPerson(browser, page, person);
  if (!consent.url.includes("/oauth/setup")) throw new Error(`expected the consent page, got ${consent.url} (${consent.status}): ${consent.body.slice(0, 300)}`);
  return { browser, route, consent, clientId: client.client_id, verifier };
}

/** The Connect link on a consent page, if it shows one. */
export function connectLink(page: Page): string | undefined {
  return /<a class="button" href="([^"]+)"/.exec(page.body)?.[1]?.replace(/&amp;/g, "&");
}

/** Approve on the consent page and exchange the code: the gateway access token for ROUTE. */
export async function approve(gatewayUrl: string, s: SignedIn, consent: Page = s.consent): Promise<string> {
  const answered = await s.browser.submitConsent(consent, "approve");
  const location = new URL(answered.headers.get("location") ?? "about:blank", gatewayUrl);
  const code = location.searchParams.get("code");
  if (!code) throw new Error(`approve did not return a code: ${answered.status} ${location.href}`);
  const r = await postForm(`${gatewayUrl}/oauth/token`, { grant_type: "authorization_code", code, code_verifier: s.verifier, client_id: s.clientId, redirect_uri: REDIRECT_URI, resource: `${gatewayUrl}${s.route}` });
  if (r.status !== 200) throw new Error(`token exchange failed: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { access_token: string }).access_token;
}

/** The whole leg for one person: sign in, Connect (upstream login as `upstreamAccount`), back to consent, Authorize. */
export async function connectAndAuthorize(gatewayUrl: string, person: string, upstreamAccount: string, route = ROUTE): Promise<{ token: string; signedIn: SignedIn }> {
  const signedIn = await openConsent(gatewayUrl, person, new Browser(), route);
  const link = connectLink(signedIn.consent);
  if (!link) throw new Error(`the consent page has no Connect link:\n${signedIn.consent.body}`);
  const back = await upstreamLogin(signedIn.browser, new URL(link, gatewayUrl).href, upstreamAccount);
  if (!back.url.includes("/oauth/setup")) throw new Error(`after connecting, expected the consent page, got ${back.url} (${back.status}): ${back.body.slice(0, 400)}`);
  parseForm(back.body);
  return { token: await approve(gatewayUrl, signedIn, back), signedIn };
}

/** The stock SDK client, calling one tool through the gateway with the gateway token. */
export async function callTool(gatewayUrl: string, token: string, name = "whoami"): Promise<{ text?: string; error?: { code: number; message: string; data?: unknown } }> {
  const client = new Client({ name: "upstream-oauth-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${gatewayUrl}${ROUTE}`), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  try {
    await client.connect(transport);
    const result = await client.callTool({ name, arguments: {} });
    return { text: (result.content as { text: string }[])[0]?.text };
  } catch (err) {
    const e = err as { code?: number; message: string; data?: unknown };
    if (typeof e.code === "number") return { error: { code: e.code, message: e.message, data: e.data } };
    throw err;
  } finally {
    await client.close().catch(() => undefined);
  }
}
