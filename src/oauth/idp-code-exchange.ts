import * as oauth from "oauth4webapi";
import { LoginError } from "./login-errors.ts";

// The gateway as an OAuth client of the team's IdP: checks the authorization response (RFC 9207 `iss`)
// and redeems the code at the token endpoint, with oauth4webapi, within `remoteTimeoutMs`. The ID token
// is handed back unverified: id-token.ts verifies it with jose, because oauth4webapi checks only its
// claims (not the signature) and knows neither an audience override nor Google's second issuer spelling.

export interface CodeExchange {
  readonly issuer: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tokenEndpointAuthMethod: "client_secret_basic" | "client_secret_post";
  /** The redirect_uri sent to the authorization endpoint, verbatim. */
  readonly redirectUri: string;
  /** The PKCE verifier, when a challenge was sent. */
  readonly codeVerifier: string | undefined;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
}

/** The token response minus the ID token: what oauth4webapi checks (shape, RFC 6749 §5.2 errors). */
function withoutIdToken(response: Response, text: string, json: unknown): Response {
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  headers.delete("content-encoding");
  const body = typeof json === "object" && json !== null ? JSON.stringify({ ...json, id_token: undefined }) : text;
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/** Redeems the code in the IdP's callback `parameters`; returns the raw ID token. */
export async function exchangeCode(parameters: URLSearchParams, x: CodeExchange): Promise<string> {
  const as: oauth.AuthorizationServer = { issuer: x.issuer, token_endpoint: x.tokenUrl };
  const client: oauth.Client = { client_id: x.clientId };
  const auth = x.tokenEndpointAuthMethod === "client_secret_post" ? oauth.ClientSecretPost(x.clientSecret) : oauth.ClientSecretBasic(x.clientSecret);

  let callback: URLSearchParams;
  try {
    // The state was checked (and consumed) by the caller against the store.
    callback = oauth.validateAuthResponse(as, client, parameters, oauth.skipStateCheck);
  } catch (err) {
    throw new LoginError("login_issuer_mismatch", `The authorization response failed oauth4webapi's checks: ${(err as Error).message}.`);
  }

  const signal = AbortSignal.timeout(x.timeoutMs);
  const where = new URL(x.tokenUrl).host;
  let response: Response;
  let text: string;
  try {
    response = await oauth.authorizationCodeGrantRequest(as, client, auth, callback, x.redirectUri, x.codeVerifier ?? oauth.nopkce, {
      [oauth.customFetch]: x.fetch,
      // Loopback http only: the options schema refuses http anywhere else.
      [oauth.allowInsecureRequests]: x.tokenUrl.startsWith("http:"),
      signal,
    });
    text = await response.text();
  } catch (err) {
    if (signal.aborted) throw new LoginError("idp_timeout", `The IdP's token endpoint (${where}) did not answer within ${x.timeoutMs} ms (browserLogin.remoteTimeoutMs).`);
    throw new LoginError("idp_unreachable", `The IdP's token endpoint (${where}) could not be reached: ${(err as Error).message}.`);
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  try {
    await oauth.processAuthorizationCodeResponse(as, client, withoutIdToken(response, text, json));
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) {
      throw new LoginError("idp_token_error", `The IdP's token endpoint (${where}) refused the code: ${err.error}${err.error_description ? ` (${err.error_description})` : ""}.`, err.error);
    }
    throw new LoginError("idp_response_invalid", `The IdP's token endpoint (${where}) answered HTTP ${response.status} with an unusable body: ${(err as Error).message}.`);
  }
  const idToken = (json as { id_token?: unknown }).id_token;
  if (typeof idToken !== "string") throw new LoginError("id_token_missing", `The IdP's token response has no id_token; is "openid" in the scope?`);
  return idToken;
}
