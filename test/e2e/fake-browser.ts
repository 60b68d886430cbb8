// A stand-in for the person at the browser, for MCP clients that open the authorize URL through $BROWSER
// (MCP Inspector CLI, mcp-remote): follows the gateway's redirects with a cookie jar, signs in at the team
// IdP's form when the gateway sends it there (as $FAKE_BROWSER_IDP_USER, test/helpers/oidc-idp.ts), picks
// $FAKE_BROWSER_DEV_USER on the dev-login picker, follows the consent page's Connect link through the
// upstream's own login as $FAKE_BROWSER_UPSTREAM_LOGIN (test/upstream/peers.ts), clicks Authorize on the
// consent page, and delivers the final redirect to the client's loopback callback (the authorize URL's
// redirect_uri).
// Usage: fake-browser.ts URL
import { signInAtIdp } from "../helpers/idp-flow.ts";
import { Browser } from "../oauth/helpers.ts";

const url = process.argv[2];
if (!url) throw new Error("usage: fake-browser.ts AUTHORIZE_URL");
const redirectUri = new URL(url).searchParams.get("redirect_uri");
const clientCallback = redirectUri ? new URL(redirectUri).origin : "http://127.0.0.1:6276";
const browser = new Browser();
// The gateway's dev-login start-up link, opened once as the person would (MCPGW_DEV_LOGIN_URL).
if (process.env.MCPGW_DEV_LOGIN_URL) await browser.request(process.env.MCPGW_DEV_LOGIN_URL);
let { page, stoppedAt } = await browser.navigate(url, clientCallback);
const idpUser = process.env.FAKE_BROWSER_IDP_USER;
if (!stoppedAt && idpUser) ({ page, stoppedAt } = await signInAtIdp(browser, page, idpUser, "sign-in", clientCallback));
const devUser = process.env.FAKE_BROWSER_DEV_USER;
if (!stoppedAt && devUser) {
  // The upstream helpers load only for the runs that need them (they import the gateway and oidc-provider).
  const { pickPerson } = await import("../upstream/flow.ts");
  page = await pickPerson(browser, page, devUser);
}
const upstreamLogin = process.env.FAKE_BROWSER_UPSTREAM_LOGIN;
if (!stoppedAt && upstreamLogin) {
  const { connectLink } = await import("../upstream/flow.ts");
  const link = connectLink(page);
  if (link) page = await (await import("../upstream/peers.ts")).upstreamLogin(browser, new URL(link, page.url).href, upstreamLogin);
}
let callback = stoppedAt;
if (!callback) {
  const answered = await browser.submitConsent(page, "approve");
  const location = answered.headers.get("location");
  if (!location) throw new Error(`the consent page answered ${answered.status} at ${page.url}: ${answered.body.slice(0, 300)}`);
  callback = new URL(location);
}
await fetch(callback);
