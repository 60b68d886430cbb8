import { isUrlClientId } from "./cimd.ts";
import { ASSERTION_ALGORITHMS, assertedClientId, CLIENT_ASSERTION_TYPE, verifyClientAssertion } from "./client-assertion.ts";
import type { ClientAuthMethod } from "./client-metadata.ts";
import { registeredClient, resolveClient, type ResolvedClient } from "./clients.ts";
import type { OAuthRequest, OAuthServer } from "./context.ts";
import { hashCredential, sameSecret } from "./credentials.ts";
import { InvalidClient, InvalidRequest } from "./errors.ts";
import { describeFetchError } from "./guarded-fetch.ts";
import { oauthEndpoints } from "./metadata.ts";
import { routeResource } from "./resource.ts";

// Client authentication at the token and revocation endpoints (RFC 6749 §2.3, OAuth 2.1 §2.4):
// client_secret_basic, client_secret_post, private_key_jwt (RFC 7523 §2.2, src/oauth/client-assertion.ts), or
// none (public clients name themselves with client_id). A client must use the method it registered; for a
// CIMD client its document is the registration, so the document is resolved here too (from the cache).

export interface PresentedCredentials {
  readonly clientId: string;
  readonly secret?: string;
  /** private_key_jwt: the signed client_assertion. */
  readonly assertion?: string;
  readonly method: ClientAuthMethod;
}

export interface AuthenticatedClient {
  readonly clientId: string;
  /** The DCR registration or the CIMD document. */
  readonly registration: ResolvedClient;
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}

/** RFC 7521 §4.2: client_assertion_type and client_assertion together, and no other credentials. */
function presentedAssertion(request: Request, form: Map<string, string>): PresentedCredentials {
  const type = form.get("client_assertion_type");
  const assertion = form.get("client_assertion");
  if (type === undefined || assertion === undefined) throw new InvalidRequest("Send client_assertion_type and client_assertion together.");
  if (type !== CLIENT_ASSERTION_TYPE) throw new InvalidClient(`The client_assertion_type "${type}" is not supported; use ${CLIENT_ASSERTION_TYPE}.`);
  if (request.headers.has("authorization") || form.has("client_secret")) throw new InvalidRequest("Use one client authentication method, not a client assertion and a secret together.");
  // RFC 7523 §3: client_id is optional next to an assertion; when sent it must be the assertion's client.
  return { clientId: form.get("client_id") ?? assertedClientId(assertion), assertion, method: "private_key_jwt" };
}

/** What the request presents, without judging it yet; undefined when it names no client at all. */
export function presentedCredentials(request: Request, form: Map<string, string>): PresentedCredentials | undefined {
  if (form.has("client_assertion") || form.has("client_assertion_type")) return presentedAssertion(request, form);
  const header = request.headers.get("authorization");
  const formId = form.get("client_id");
  const formSecret = form.get("client_secret");
  if (header !== null) {
    const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
    if (!m) throw new InvalidClient("The Authorization header is not HTTP Basic credentials.", true);
    const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon === -1) throw new InvalidClient("The Basic credentials have no client secret.", true);
    // RFC 6749 §2.3.1: both parts are form-encoded (many clients skip that; our ids have no ':' or '%').
    const clientId = formDecode(decoded.slice(0, colon));
    if (formSecret !== undefined) throw new InvalidRequest("Use one client authentication method, not Basic and client_secret together.");
    if (formId !== undefined && formId !== clientId) throw new InvalidRequest("client_id in the body differs from the Basic credentials.");
    return { clientId, secret: formDecode(decoded.slice(colon + 1)), method: "client_secret_basic" };
  }
  if (formSecret !== undefined) {
    if (formId === undefined) throw new InvalidRequest("client_secret was sent without client_id.");
    return { clientId: formId, secret: formSecret, method: "client_secret_post" };
  }
  return formId === undefined ? undefined : { clientId: formId, method: "none" };
}

/** The endpoint a client authenticates at. */
export type AuthenticatingEndpoint = "token" | "revoke";

/**
 * What `aud` of a client assertion may name: this authorization server's issuers (the origin, and each
 * OAuth route's URI, which is that route's issuer) and the URL of the endpoint receiving it.
 */
export function assertionAudiences(server: OAuthServer, origin: string, endpoint: AuthenticatingEndpoint): string[] {
  return [oauthEndpoints(origin, server.basePath)[endpoint], origin, ...server.routes.map((r) => routeResource(origin, r))];
}

async function registration(server: OAuthServer, presented: PresentedCredentials): Promise<ResolvedClient> {
  const basic = presented.method === "client_secret_basic";
  if (isUrlClientId(presented.clientId)) {
    // CIMD clients cannot hold a shared secret (CIMD draft §4.1).
    if (presented.secret !== undefined) throw new InvalidClient("A client identified by a metadata document URL cannot use a client secret.", basic);
    if (!server.options.cimdEnabled) throw new InvalidClient("This gateway does not accept client ID metadata documents.", basic);
    return resolveClient(server, presented.clientId);
  }
  const client = await registeredClient(server, presented.clientId);
  if (!client) throw new InvalidClient("The client is not registered with this gateway, or its registration expired; register again.", basic);
  return client;
}

async function assertionValid(server: OAuthServer, audiences: string[], client: ResolvedClient, assertion: string): Promise<void> {
  const { jwks, jwks_uri: jwksUri, token_endpoint_auth_signing_alg: alg } = client.metadata;
  const keys = async (refresh: boolean) => {
    if (jwks) return jwks;
    try {
      return await server.runtime.jwks.keys(jwksUri!, refresh);
    } catch (err) {
      throw new InvalidClient(`The client's JWK Set at ${new URL(jwksUri!).host} cannot be used: ${describeFetchError(err)}.`);
    }
  };
  await verifyClientAssertion(assertion, {
    clientId: client.clientId,
    audiences,
    algorithms: alg ? [alg] : ASSERTION_ALGORITHMS,
    keys,
    replay: server.runtime.assertionReplay,
    now: server.now(),
  });
}

/** Checks presented credentials against the registration; InvalidClient when they do not hold. */
export async function authenticateClient(
  server: OAuthServer,
  req: OAuthRequest,
  endpoint: AuthenticatingEndpoint,
  presented: PresentedCredentials,
): Promise<AuthenticatedClient> {
  const basic = presented.method === "client_secret_basic";
  const client = await registration(server, presented);
  const registered = client.metadata.token_endpoint_auth_method;
  if (registered !== presented.method) throw new InvalidClient(`The client registered token_endpoint_auth_method ${registered} and must authenticate that way.`, basic);
  if (registered === "private_key_jwt") await assertionValid(server, assertionAudiences(server, req.origin, endpoint), client, presented.assertion!);
  else if (registered !== "none" && (client.secretHash === null || !sameSecret(hashCredential(presented.secret ?? ""), client.secretHash))) {
    throw new InvalidClient("The client secret is wrong.", basic);
  }
  return { clientId: client.clientId, registration: client };
}
