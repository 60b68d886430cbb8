import type { RouteConfig } from "../config/types.ts";
import { errorFields } from "../log/logger.ts";
import { MCP_SCOPE } from "./client-metadata.ts";
import { resolveClient, type ResolvedClient } from "./clients.ts";
import type { OAuthRequest, OAuthServer } from "./context.ts";
import { randomId } from "./credentials.ts";
import {
  authorizationErrorRedirect,
  asOAuthError,
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  OAuthError,
  ServerError,
  TemporarilyUnavailable,
  UnauthorizedClient,
  UnsupportedResponseType,
} from "./errors.ts";
import { NO_STORE } from "../http/headers.ts";
import { singleValued } from "./http.ts";
import { errorPage, htmlResponse } from "./pages.ts";
import { redirectUriMatches, safeHost } from "./redirect-uri.ts";
import { routeForResource, routeResource } from "./resource.ts";
import { currentSession } from "./session.ts";

// GET {base}/oauth/authorize[/{routePath}] (spec §1.6, OAuth 2.1 §4.1.1). A pipeline of small checks, in
// two phases: until the client and its redirect URI are verified an error is shown as a page (OAuth 2.1
// §4.1.2.1, §7.12.2: never redirect to an unverified URI); after that, errors go back to the client.

interface AuthorizeDraft {
  readonly server: OAuthServer;
  readonly params: Map<string, string>;
  readonly resources: readonly string[];
  readonly origin: string;
  /** The route named by the per-route endpoint's path, if that form was used. */
  readonly pathRoute: RouteConfig | undefined;
  client?: ResolvedClient;
  redirectUri?: string;
  route?: RouteConfig;
  scope?: string;
}

type Check = (d: AuthorizeDraft) => void | Promise<void>;

/**
 * Issue 18: a pending request stores `state` (and echoes it back), so a 16 KB state times many requests
 * filled the disk. Every parameter is bounded, and the query as a whole; legitimate values are far shorter
 * (a state is usually a random value of a few dozen characters).
 */
export const MAX_PARAMETER_LENGTH = 2048;
const MAX_QUERY_LENGTH = 8192;

function parametersBounded(url: URL): void {
  if (url.search.length > MAX_QUERY_LENGTH) throw new InvalidRequest(`The authorization request is longer than ${MAX_QUERY_LENGTH} characters.`);
  for (const [name, value] of url.searchParams) {
    if (value.length > MAX_PARAMETER_LENGTH) throw new InvalidRequest(`The ${name.slice(0, 40)} parameter is longer than ${MAX_PARAMETER_LENGTH} characters.`);
  }
}

function clientIdPresent(d: AuthorizeDraft): void {
  if (!d.params.get("client_id")) throw new InvalidRequest("The client_id parameter is missing.");
}

async function clientKnown(d: AuthorizeDraft): Promise<void> {
  d.client = await resolveClient(d.server, d.params.get("client_id")!);
}

/** Exact match against the registered URIs, any port on loopback (RFC 8252 §7.3). */
function redirectUriRegistered(d: AuthorizeDraft): void {
  const registered = d.client!.metadata.redirect_uris;
  const requested = d.params.get("redirect_uri");
  if (requested === undefined) {
    // OAuth 2.1 §4.1.1: optional only when the client registered exactly one.
    if (registered.length !== 1) throw new InvalidRequest("The redirect_uri parameter is missing, and the client registered more than one.");
    d.redirectUri = registered[0]!;
    return;
  }
  if (!registered.some((r) => redirectUriMatches(r, requested))) {
    throw new InvalidRequest(`The redirect_uri (${safeHost(requested)}) is not one the client registered.`);
  }
  d.redirectUri = requested;
}

function responseTypeIsCode(d: AuthorizeDraft): void {
  const type = d.params.get("response_type");
  if (type === undefined) throw new InvalidRequest("The response_type parameter is missing; use code.");
  if (type !== "code") throw new UnsupportedResponseType(`The response_type "${type}" is not supported; use code.`);
}

/** OAuth 2.1 §4.1.1 / MCP: PKCE is required, and only S256 (plain would give the verifier away). */
function pkceS256(d: AuthorizeDraft): void {
  const challenge = d.params.get("code_challenge");
  if (challenge === undefined) throw new InvalidRequest("PKCE is required: send code_challenge with code_challenge_method=S256.");
  const method = d.params.get("code_challenge_method") ?? "plain";
  if (method !== "S256") throw new InvalidRequest(`The code_challenge_method "${method}" is not supported; only S256 is.`);
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) throw new InvalidRequest("The code_challenge is not a base64url SHA-256 value (43 characters).");
}

function scopeAllowed(d: AuthorizeDraft): void {
  const requested = d.params.get("scope");
  const scopes = requested === undefined ? [MCP_SCOPE] : requested.split(" ").filter(Boolean);
  const unknown = scopes.find((s) => s !== MCP_SCOPE);
  if (unknown !== undefined) throw new InvalidScope(`The scope "${unknown}" is not offered; this gateway grants only ${MCP_SCOPE}.`);
  d.scope = MCP_SCOPE;
}

/**
 * RFC 8707: the token is bound to one MCP route. The per-route endpoint implies it; the gateway-wide one
 * needs `resource` unless exactly one route is protected (spec §1.6).
 */
function resourceBound(d: AuthorizeDraft): void {
  const routes = d.server.routes;
  if (d.resources.length > 1) throw new InvalidTarget("Send one resource: a token is bound to a single MCP route.");
  const resource = d.resources[0];
  if (resource === undefined) {
    if (d.pathRoute) d.route = d.pathRoute;
    else if (routes.length === 1) d.route = routes[0]!;
    else throw new InvalidTarget("The resource parameter is required: this gateway has several MCP routes.");
    return;
  }
  const route = routeForResource(resource, d.origin, routes);
  if (!route) throw new InvalidTarget(`The resource ${resource} is not an MCP route of this gateway (${d.origin}).`);
  if (d.pathRoute && route !== d.pathRoute) throw new InvalidTarget("The resource does not match the route of this authorization endpoint.");
  d.route = route;
}

function clientMayUseCode(d: AuthorizeDraft): void {
  if (!d.client!.metadata.grant_types.includes("authorization_code")) throw new UnauthorizedClient("The client did not register the authorization_code grant.");
}

function browserLoginAvailable(d: AuthorizeDraft): void {
  const why = d.server.login.unavailable();
  if (why !== undefined) throw new ServerError(why);
}

const VERIFY_CLIENT: readonly Check[] = [clientIdPresent, clientKnown, redirectUriRegistered];
const VALIDATE_REQUEST: readonly Check[] = [responseTypeIsCode, pkceS256, scopeAllowed, resourceBound, clientMayUseCode, browserLoginAvailable];

function authorizationPageError(err: OAuthError): Response {
  return htmlResponse(
    errorPage({
      title: "This sign-in request cannot continue",
      message: err.description,
      code: err.code,
      note: "The application was not redirected back, because its identity or its redirect URI could not be confirmed.",
    }),
    err.status >= 500 ? err.status : 400,
    err instanceof TemporarilyUnavailable ? { "retry-after": String(err.retryAfterSeconds) } : {},
  );
}

/** Handles one authorization request; `pathRoute` is set for the per-route form. */
export async function authorize(server: OAuthServer, req: OAuthRequest, pathRoute: RouteConfig | undefined): Promise<Response> {
  const issuer = pathRoute ? routeResource(req.origin, pathRoute) : req.origin;
  let params: Map<string, string>;
  try {
    parametersBounded(req.url);
    params = singleValued(req.url.searchParams, ["resource"]);
  } catch (err) {
    return authorizationPageError(asOAuthError(err));
  }
  const d: AuthorizeDraft = { server, params, resources: req.url.searchParams.getAll("resource"), origin: req.origin, pathRoute };
  try {
    for (const check of VERIFY_CLIENT) await check(d);
  } catch (err) {
    const e = asOAuthError(err);
    if (!(err instanceof OAuthError)) req.report("error", "mcp_auth_endpoint_failed", "Verifying the client failed.", errorFields(err));
    req.report("info", "mcp_auth_authorization_rejected", e.description, { reasonCode: e.code, phase: "client" });
    return authorizationPageError(e);
  }
  const state = params.get("state");
  try {
    for (const check of VALIDATE_REQUEST) await check(d);
  } catch (err) {
    const e = asOAuthError(err);
    req.report("info", "mcp_auth_authorization_rejected", e.description, { reasonCode: e.code, clientId: d.client!.clientId, redirectHost: safeHost(d.redirectUri!) });
    return authorizationErrorRedirect(e, d.redirectUri!, state, issuer);
  }

  const now = server.now();
  const requestId = randomId("areq");
  const client = d.client!;
  const route = d.route!;
  const pending = {
    requestId,
    clientId: client.clientId,
    clientName: client.displayName,
    redirectUri: d.redirectUri!,
    state: state ?? null,
    codeChallenge: params.get("code_challenge")!,
    resource: routeResource(req.origin, route),
    operationId: route.operationId,
    scope: d.scope!,
    issuer,
    issueRefreshToken: client.metadata.grant_types.includes("refresh_token") ? 1 : 0,
    createdAt: now,
    expiresAt: now + server.options.stateTtlSeconds * 1000,
  };
  const max = server.limits.maxPendingAuthorizations;
  const stored = await server.store.transaction(async (tx) => (await tx.flows.countRequests(now)) < max && (await tx.flows.insertRequest(pending), true));
  if (!stored) {
    req.report("warn", "mcp_auth_pending_limit_reached", `Authorization refused: ${max} requests are pending (mcpgw.oauth.maxPendingAuthorizations).`, { clientId: client.clientId, maxPendingAuthorizations: max });
    return authorizationErrorRedirect(new TemporarilyUnavailable("The authorization server is busy; try again in a few minutes.", 503, 60), d.redirectUri!, state, issuer);
  }
  req.report("info", "mcp_auth_authorization_started", `Authorization request from ${client.displayName} for ${route.operationId}.`, {
    clientId: client.clientId,
    operationId: route.operationId,
    redirectHost: safeHost(d.redirectUri!),
  });
  // Spec §1.3 step 5: a live session skips the login step.
  if (!(await currentSession(server, req))) return server.login.start(server, req, requestId);
  return new Response(null, { status: 302, headers: { location: `${req.origin}${server.basePath}/oauth/setup?request=${requestId}`, ...NO_STORE } });
}
