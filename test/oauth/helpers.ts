import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type RunningGateway } from "../../src/cli/serve.ts";
import type { LogLevel } from "../../src/log/logger.ts";
import { checkLogLine } from "../helpers/log-lines.ts";
import type { GatewayEvent } from "../../src/observe/events.ts";
import type { ObserverSink } from "../../src/observe/observer.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";

// Test kit for the authorization server: temp projects with the mcp-oauth-inbound policy, an in-process
// gateway on a real loopback socket and a real SQLite file, and a small cookie-jar "browser" that walks
// authorize → dev-login → consent over HTTP exactly as a person's browser would (no JavaScript needed).

export const OAUTH_POLICY = "dev-oauth";
export const DEMO_PATH = "/mcp/demo-v1";

export interface GatewayOptionsOverride {
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  cimdEnabled?: boolean;
}

export interface OAuthProjectOptions {
  /** Route paths → operationId; every route gets the OAuth policy and the demo upstream. */
  routes?: Record<string, string>;
  gateway?: GatewayOptionsOverride;
  /** Replaces the dev-login browserLogin options. */
  browserLogin?: Record<string, unknown>;
  basePath?: string;
  /** Extra policies after the OAuth policy on every route (e.g. a header policy). */
  extraPolicies?: object[];
  rewritePattern?: string;
  /** zuplo.jsonc's mcpgw.oauth (endpoint rate limits, caps): e.g. `{ rateLimits: { register: false } }` for a test that registers many clients. */
  oauthSettings?: object;
}

export function oauthPolicy(options: OAuthProjectOptions = {}): object {
  return {
    name: OAUTH_POLICY,
    policyType: "mcp-oauth-inbound",
    handler: {
      module: "$import(@zuplo/runtime/mcp-gateway)",
      export: "McpOAuthInboundPolicy",
      options: {
        oidc: { issuer: "http://127.0.0.1:9000", jwksUrl: "http://127.0.0.1:9000/.well-known/jwks.json" },
        browserLogin: options.browserLogin ?? { url: "http://127.0.0.1:9000/oauth/dev-login" },
        ...(options.gateway ? { gateway: options.gateway } : {}),
      },
    },
  };
}

export function writeOAuthProject(options: OAuthProjectOptions = {}): string {
  const routes = options.routes ?? { [DEMO_PATH]: "demo-mcp-server" };
  const extra = options.extraPolicies ?? [];
  const inbound = [OAUTH_POLICY, ...extra.map((p) => (p as { name: string }).name)];
  return writeProject({
    zuplo: { ...MCP_ZUPLO, mcpgw: { ...(options.basePath ? { basePath: options.basePath } : {}), ...(options.oauthSettings ? { oauth: options.oauthSettings } : {}) } },
    policies: { policies: [oauthPolicy(options), ...extra] },
    routes: routesDoc(
      Object.fromEntries(Object.entries(routes).map(([path, op]) => [path, { "get,post": mcpRoute(op, options.rewritePattern ?? "mcpgw:demo", inbound, { summary: `${op} summary` }) }])),
    ),
  });
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), "mcpgw-data-"));
}

export interface StartOptions {
  dataDir?: string;
  host?: string;
  port?: number;
  mode?: "dev" | "start";
  /** `debug` by default: every event is written (and checked, test/helpers/log-lines.ts). */
  logLevel?: LogLevel;
  /** Collects every event the gateway reports (analytics and mcp_auth_…). */
  events?: GatewayEvent[];
}

function collector(events: GatewayEvent[]): ObserverSink {
  return { wants: () => true, handle: (event) => void events.push(event) };
}

/**
 * Dev-login keys of the gateways this test process started, by host. A test Browser holds the key as a
 * person's browser does once they opened the start-up link (test/e2e/oauth-dev-login.test.ts covers the
 * link and the refusal without it).
 */
const DEV_LOGIN_KEYS = new Map<string, string>();

/** For a gateway started some other way (serve() directly): test Browsers then hold its dev-login key too. */
export function rememberDevLoginKey(gw: { readonly devLoginUrl?: string | undefined }): void {
  if (gw.devLoginUrl) rememberDevLoginLink(gw.devLoginUrl);
}

/** The same from the start-up link alone (a gateway in a child process logs it as dev_login_link). */
export function rememberDevLoginLink(link: string): void {
  const url = new URL(link);
  DEV_LOGIN_KEYS.set(url.host, url.searchParams.get("key")!);
}

/**
 * The real gateway (serve(), as `mcpgw dev` runs it) on an ephemeral port. Its log lines are kept off
 * stdout: each is checked for duplicate keys and kept, parsed, in `logs`.
 */
export async function startGateway(projectDir: string, options: StartOptions = {}): Promise<RunningGateway & { dataDir: string; logs: Record<string, unknown>[] }> {
  const dataDir = options.dataDir ?? tempDataDir();
  const logs: Record<string, unknown>[] = [];
  const sink = {
    write(line: string) {
      checkLogLine(line, `gateway for ${projectDir}`);
      logs.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  const gw = await serve(
    { projectDir, port: options.port ?? 0, host: options.host ?? "127.0.0.1", dataDir, logLevel: options.logLevel ?? "debug", logFormat: "json" },
    options.mode ?? "dev",
    {},
    { sink, ...(options.events ? { eventSinks: [collector(options.events)] } : {}) },
  );
  rememberDevLoginKey(gw);
  return Object.assign(gw, { dataDir, logs });
}

// ---- PKCE and clients -------------------------------------------------------------------------------

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const challenge = new Bun.CryptoHasher("sha256").update(verifier).digest("base64url");
  return { verifier, challenge };
}

export const REDIRECT_URI = "http://127.0.0.1:53682/callback";

export async function registerClient(gatewayUrl: string, metadata: Record<string, unknown> = {}, basePath = ""): Promise<Record<string, unknown> & { client_id: string }> {
  const response = await fetch(`${gatewayUrl}${basePath}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: "Test Client", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none", ...metadata }),
  });
  if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown> & { client_id: string };
}

// ---- the "browser" ------------------------------------------------------------------------------------

export interface Page {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** A minimal browser: cookie jar, manual redirects, and HTML form submission with an Origin header. */
export class Browser {
  readonly cookies = new Map<string, string>();

  /**
   * `withDevLoginKey: false`: a browser that never opened the dev-login start-up link. `tls.ca`: a CA this
   * browser trusts besides the system's (an https IdP made for a test).
   */
  constructor(private readonly options: { withDevLoginKey?: boolean; tls?: { ca: string } } = {}) {}

  async request(url: string, init: RequestInit = {}): Promise<Page> {
    const headers = new Headers(init.headers);
    const host = new URL(url).host;
    const key = DEV_LOGIN_KEYS.get(host);
    if (key && this.options.withDevLoginKey !== false && !this.cookies.has(`${host} mcpgw_dev_login_key`)) this.cookies.set(`${host} mcpgw_dev_login_key`, key);
    const cookie = [...this.cookies].filter(([k]) => k.startsWith(`${host} `)).map(([k, v]) => `${k.slice(host.length + 1)}=${v}`).join("; ");
    if (cookie) headers.set("cookie", cookie);
    const response = await fetch(url, { ...init, headers, redirect: "manual", ...(this.options.tls ? { tls: this.options.tls } : {}) });
    for (const sc of response.headers.getSetCookie()) {
      const [pair] = sc.split(";");
      const i = pair!.indexOf("=");
      this.cookies.set(`${host} ${pair!.slice(0, i).trim()}`, pair!.slice(i + 1));
    }
    return { url, status: response.status, headers: response.headers, body: await response.text() };
  }

  /** Follow redirects from `url` until a page is not a redirect, or the next hop starts with `stopAt`. */
  async navigate(url: string, stopAt?: string): Promise<{ page: Page; stoppedAt?: URL }> {
    let page = await this.request(url);
    for (let hop = 0; hop < 10; hop++) {
      const location = page.headers.get("location");
      if (page.status < 300 || page.status >= 400 || !location) return { page };
      const next = new URL(location, page.url);
      if (stopAt && next.href.startsWith(stopAt)) return { page, stoppedAt: next };
      page = await this.request(next.href);
    }
    throw new Error("too many redirects");
  }

  /** Submit the page's form as if a button with `decision` was clicked; fields can be overridden. */
  async submitConsent(page: Page, decision: string, override: Record<string, string | undefined> = {}, origin?: string | null): Promise<Page> {
    return this.submitForm(page, { decision, ...override }, origin);
  }

  /** Submit the page's (first) form with its hidden fields plus `fields` (the button clicked, overrides). */
  async submitForm(page: Page, extra: Record<string, string | undefined>, origin?: string | null): Promise<Page> {
    const form = parseForm(page.body);
    const fields = { ...form.fields, ...extra };
    const body = new URLSearchParams(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
    const action = new URL(form.action, page.url);
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
    const sentOrigin = origin === undefined ? action.origin : origin;
    if (sentOrigin !== null) headers.origin = sentOrigin;
    return this.request(action.href, { method: "POST", headers, body });
  }
}

export function parseForm(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form in page:\n${html}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = m[2]!.replace(/&amp;/g, "&");
  return { action: action.replace(/&amp;/g, "&"), fields };
}

export interface AuthorizeParams {
  clientId: string;
  redirectUri?: string;
  challenge?: string;
  method?: string;
  resource?: string | string[];
  state?: string;
  scope?: string;
  /** Use the per-route authorize endpoint for this route path. */
  routePath?: string;
  extra?: Record<string, string>;
}

export function authorizeUrl(gatewayUrl: string, p: AuthorizeParams, basePath = ""): string {
  const url = new URL(`${gatewayUrl}${basePath}/oauth/authorize${p.routePath ?? ""}`);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", p.clientId);
  if (p.redirectUri !== "") url.searchParams.set("redirect_uri", p.redirectUri ?? REDIRECT_URI);
  if (p.challenge) url.searchParams.set("code_challenge", p.challenge);
  if (p.method !== "") url.searchParams.set("code_challenge_method", p.method ?? "S256");
  for (const r of [p.resource ?? []].flat()) url.searchParams.append("resource", r);
  if (p.state !== undefined) url.searchParams.set("state", p.state);
  if (p.scope !== undefined) url.searchParams.set("scope", p.scope);
  for (const [k, v] of Object.entries(p.extra ?? {})) url.searchParams.set(k, v);
  return url.href;
}

/** The whole browser leg: authorize → dev-login → consent page → Authorize; returns the redirect back. */
export async function authorizeInBrowser(browser: Browser, gatewayUrl: string, p: AuthorizeParams, basePath = ""): Promise<URL> {
  const redirect = p.redirectUri || REDIRECT_URI;
  const { page, stoppedAt } = await browser.navigate(authorizeUrl(gatewayUrl, p, basePath), redirect.split("/callback")[0]);
  if (stoppedAt) return stoppedAt;
  if (page.status !== 200) throw new Error(`authorize stopped at ${page.url} with ${page.status}: ${page.body}`);
  const answered = await browser.submitConsent(page, "approve");
  const location = answered.headers.get("location");
  if (!location) throw new Error(`consent POST answered ${answered.status}: ${answered.body}`);
  return new URL(location);
}

export async function postForm(url: string, params: Record<string, string | undefined>, headers: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  return fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });
}

export interface IssuedTokens {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  token_type: string;
  scope: string;
  resource: string;
}

/** Register, authorize in the browser, exchange the code: a fresh grant for `routePath`. */
export async function obtainTokens(gatewayUrl: string, routePath = DEMO_PATH, clientMetadata: Record<string, unknown> = {}): Promise<{ clientId: string; tokens: IssuedTokens }> {
  const client = await registerClient(gatewayUrl, clientMetadata);
  const { verifier, challenge } = pkcePair();
  const back = await authorizeInBrowser(new Browser(), gatewayUrl, { clientId: client.client_id, challenge, resource: `${gatewayUrl}${routePath}`, state: "s1" });
  const response = await postForm(`${gatewayUrl}/oauth/token`, {
    grant_type: "authorization_code",
    code: back.searchParams.get("code")!,
    code_verifier: verifier,
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    resource: `${gatewayUrl}${routePath}`,
  });
  if (response.status !== 200) throw new Error(`token exchange failed: ${response.status} ${await response.text()}`);
  return { clientId: client.client_id, tokens: (await response.json()) as IssuedTokens };
}

/** The browser leg with the dev-login picker (mcpgw.devLogin.users): authorize → pick `who` → consent → token. */
export async function tokenForDevUser(gatewayUrl: string, routePath: string, who: string): Promise<string> {
  const client = await registerClient(gatewayUrl);
  const { verifier, challenge } = pkcePair();
  const browser = new Browser();
  const resource = `${gatewayUrl}${routePath}`;
  const { page: picker } = await browser.navigate(authorizeUrl(gatewayUrl, { clientId: client.client_id, challenge, resource, state: "s" }));
  if (!picker.body.includes(`name="as" value="${who}"`)) throw new Error(`no dev-login button for ${who}:\n${picker.body}`);
  const signedIn = await browser.submitForm(picker, { as: who });
  const { page: consent } = await browser.navigate(new URL(signedIn.headers.get("location")!, signedIn.url).href);
  const answered = await browser.submitConsent(consent, "approve");
  const code = new URL(answered.headers.get("location")!).searchParams.get("code")!;
  const res = await postForm(`${gatewayUrl}/oauth/token`, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI, resource });
  if (res.status !== 200) throw new Error(`token exchange failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A raw MCP tools/list POST with a bearer token. */
export function mcpPost(url: string, token: string | undefined, body: object = { jsonrpc: "2.0", id: 1, method: "tools/list" }): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
}
