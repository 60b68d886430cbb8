import { Browser, type Page, pkcePair, postForm, REDIRECT_URI, registerClient, authorizeUrl } from "../oauth/helpers.ts";

// The browser leg of a federated sign-in, over HTTP: gateway authorize → the IdP's sign-in form
// (test/helpers/oidc-idp.ts) → the gateway's callback → consent page → Authorize → the client's
// redirect URI with a code → the gateway token.

/** Submits the IdP's sign-in form as `user` (or clicks Cancel); follows redirects until a page or `stopAt`. */
export async function signInAtIdp(browser: Browser, form: Page, user: string, decision: "sign-in" | "cancel" = "sign-in", stopAt?: string): Promise<{ page: Page; stoppedAt?: URL }> {
  const action = /<form method="post" action="([^"]+)"/.exec(form.body)?.[1];
  if (!action) throw new Error(`not the IdP sign-in form (${form.url}, ${form.status}):\n${form.body}`);
  const posted = await browser.request(new URL(action.replace(/&#38;/g, "&"), form.url).href, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ login: user, decision }),
  });
  const location = posted.headers.get("location");
  if (!location) return { page: posted };
  const next = new URL(location, form.url);
  if (stopAt && next.href.startsWith(stopAt)) return { page: posted, stoppedAt: next };
  return browser.navigate(next.href, stopAt);
}

/** Register a client, sign in at the IdP as `user`, approve, redeem the code: a gateway access token. */
export async function gatewayTokenVia(gatewayUrl: string, routePath: string, user: string, browser = new Browser()): Promise<string> {
  const client = await registerClient(gatewayUrl);
  const { verifier, challenge } = pkcePair();
  const resource = `${gatewayUrl}${routePath}`;
  const { page: form } = await browser.navigate(authorizeUrl(gatewayUrl, { clientId: client.client_id, challenge, resource, state: "s" }));
  const { page: consent } = await signInAtIdp(browser, form, user);
  if (consent.status !== 200 || !consent.body.includes("Authorize")) throw new Error(`expected the consent page, got ${consent.status} at ${consent.url}:\n${consent.body}`);
  const answered = await browser.submitConsent(consent, "approve");
  const code = new URL(answered.headers.get("location")!).searchParams.get("code")!;
  const res = await postForm(`${gatewayUrl}/oauth/token`, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI, resource });
  if (res.status !== 200) throw new Error(`token exchange failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
