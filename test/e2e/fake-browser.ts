// A stand-in for the person at the browser, for MCP clients that open the authorize URL through $BROWSER
// (MCP Inspector CLI): follows the gateway's redirects with a cookie jar, signs in at the team IdP's form
// when the gateway sends it there (as $FAKE_BROWSER_IDP_USER, test/helpers/oidc-idp.ts), clicks
// Authorize on the consent page, and delivers the final redirect to the client's loopback callback.
// Usage: fake-browser.ts URL
import { signInAtIdp } from "../helpers/idp-flow.ts";
import { Browser } from "../oauth/helpers.ts";

const CLIENT_CALLBACK = "http://127.0.0.1:6276";
const url = process.argv[2];
if (!url) throw new Error("usage: fake-browser.ts AUTHORIZE_URL");
const browser = new Browser();
// The gateway's dev-login start-up link, opened once as the person would (MCPGW_DEV_LOGIN_URL).
if (process.env.MCPGW_DEV_LOGIN_URL) await browser.request(process.env.MCPGW_DEV_LOGIN_URL);
let { page, stoppedAt } = await browser.navigate(url, CLIENT_CALLBACK);
const idpUser = process.env.FAKE_BROWSER_IDP_USER;
if (!stoppedAt && idpUser) ({ page, stoppedAt } = await signInAtIdp(browser, page, idpUser, "sign-in", CLIENT_CALLBACK));
let callback = stoppedAt;
if (!callback) {
  const answered = await browser.submitConsent(page, "approve");
  callback = new URL(answered.headers.get("location")!);
}
await fetch(callback);
