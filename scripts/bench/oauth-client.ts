// A real access token for the full-chain target, obtained the way an MCP client and a person's browser
// would: dynamic client registration (RFC 7591), the authorization request with PKCE S256 and an RFC 8707
// resource, the redirects through /oauth/dev-login to the consent page, the consent form posted back
// with its hidden fields (CSRF token included) and decision=approve, and the code exchanged at the
// token endpoint. Only loopback HTTP; cookies are kept in a tiny jar.

export class OAuthUnavailable extends Error {
  override name = "OAuthUnavailable";
}

const REDIRECT_URI = "http://127.0.0.1:53682/callback";

export interface ConsentForm {
  readonly action: string;
  readonly fields: Record<string, string>;
}

function unescapeHtml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]!);
}

function attribute(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, "i").exec(tag);
  return m ? unescapeHtml(m[1] ?? m[2] ?? "") : undefined;
}

/** The first form of a page: its action and its hidden inputs (the CSRF token, the request handle, …). */
export function parseConsentForm(html: string): ConsentForm {
  const form = /<form\b[^>]*>/i.exec(html);
  if (!form) throw new Error("the consent page has no form");
  const fields: Record<string, string> = {};
  for (const [tag] of html.slice(form.index).matchAll(/<input\b[^>]*>/gi)) {
    const name = attribute(tag, "name");
    if (name !== undefined && (attribute(tag, "type") ?? "text").toLowerCase() === "hidden") fields[name] = attribute(tag, "value") ?? "";
  }
  return { action: attribute(form[0], "action") ?? "", fields };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  return { verifier, challenge: new Bun.CryptoHasher("sha256").update(verifier).digest("base64url") };
}

class CookieJar {
  private readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  take(response: Response): void {
    for (const c of response.headers.getSetCookie()) {
      const pair = c.split(";")[0]!;
      const i = pair.indexOf("=");
      this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1));
    }
  }
}

interface Endpoints {
  readonly registration: string;
  readonly authorization: string;
  readonly token: string;
}

/** RFC 8414 metadata at the origin when served, else the documented paths under {origin}/oauth. */
async function endpoints(origin: string): Promise<Endpoints> {
  const response = await fetch(`${origin}/.well-known/oauth-authorization-server`);
  if (response.ok) {
    const m = (await response.json()) as Record<string, string | undefined>;
    if (m.registration_endpoint && m.authorization_endpoint && m.token_endpoint) {
      return { registration: m.registration_endpoint, authorization: m.authorization_endpoint, token: m.token_endpoint };
    }
  } else await response.arrayBuffer();
  return { registration: `${origin}/oauth/register`, authorization: `${origin}/oauth/authorize`, token: `${origin}/oauth/token` };
}

/** The dev-login start-up link from a gateway's JSON log (the `dev_login_link` line `mcpgw dev` writes). */
export function devLoginLinkFromLog(logText: string): string | undefined {
  for (const line of logText.split("\n")) {
    if (!line.includes('"dev_login_link"')) continue;
    try {
      const url = (JSON.parse(line) as { url?: unknown }).url;
      if (typeof url === "string") return url;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

/**
 * An access token for `resource` (the route URL) from the gateway at `origin`. `devLoginLink` is the
 * gateway's dev-login start-up link, opened first as a person would (dev-login refuses browsers without it).
 */
export async function obtainAccessToken(origin: string, resource: string, devLoginLink?: string): Promise<string> {
  const ep = await endpoints(origin);
  const registration = await fetch(ep.registration, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "mcpgw bench",
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code"],
      response_types: ["code"],
    }),
  });
  if (registration.status === 404) throw new OAuthUnavailable("OAuth server not available (registration endpoint answered 404)");
  if (registration.status !== 201) throw new Error(`client registration failed: ${registration.status} ${await registration.text()}`);
  const { client_id: clientId } = (await registration.json()) as { client_id: string };

  const { verifier, challenge } = pkcePair();
  const state = crypto.randomUUID();
  const authorize = new URL(ep.authorization);
  for (const [k, v] of Object.entries({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT_URI, code_challenge: challenge, code_challenge_method: "S256", resource, state })) {
    authorize.searchParams.set(k, v);
  }
  const jar = new CookieJar();
  const browse = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
    jar.take(response);
    return response;
  };

  if (devLoginLink) await (await browse(devLoginLink)).arrayBuffer();
  // authorize → dev-login → setup: follow redirects until the consent page (or the client's redirect).
  let url = authorize.href;
  let response = await browse(url);
  for (let hop = 0; hop < 10 && response.status >= 300 && response.status < 400; hop++) {
    url = new URL(response.headers.get("location")!, url).href;
    await response.arrayBuffer();
    if (url.startsWith(REDIRECT_URI)) break;
    response = await browse(url);
  }
  if (response.status === 404) throw new OAuthUnavailable(`OAuth server not available (${new URL(url).pathname} answered 404)`);
  let code: string | null;
  if (url.startsWith(REDIRECT_URI)) {
    code = new URL(url).searchParams.get("code");
  } else {
    const page = await response.text();
    if (response.status !== 200) throw new Error(`the consent page answered ${response.status}: ${page.slice(0, 300)}`);
    const form = parseConsentForm(page);
    const action = new URL(form.action, url);
    const decided = await browse(action.href, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: action.origin },
      body: new URLSearchParams({ ...form.fields, decision: "approve" }).toString(),
    });
    const location = decided.headers.get("location");
    await decided.arrayBuffer();
    if (!location) throw new Error(`the consent POST answered ${decided.status} without a redirect`);
    const back = new URL(location, action);
    if (back.searchParams.get("state") !== state) throw new Error("the authorization response carries another state");
    code = back.searchParams.get("code");
  }
  if (!code) throw new Error("the authorization response carries no code");

  const tokenResponse = await fetch(ep.token, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, client_id: clientId, code_verifier: verifier, resource }).toString(),
  });
  if (!tokenResponse.ok) throw new Error(`the token request failed: ${tokenResponse.status} ${await tokenResponse.text()}`);
  const { access_token: accessToken } = (await tokenResponse.json()) as { access_token?: string };
  if (!accessToken) throw new Error("the token response has no access_token");
  return accessToken;
}
