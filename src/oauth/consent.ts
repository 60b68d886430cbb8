import { NO_STORE } from "../http/headers.ts";
import type { AuthorizationRequestRow, BrowserSessionRow } from "../store/repositories.ts";
import { isUrlClientId } from "./cimd.ts";
import type { OAuthRequest, OAuthServer } from "./context.ts";
import { hashCredential, mintCredential, sameSecret } from "./credentials.ts";
import { AccessDenied, asOAuthError, authorizationErrorRedirect, InvalidRequest, OAuthError } from "./errors.ts";
import { readForm } from "./http.ts";
import { consentPage, errorPage, htmlResponse } from "./pages.ts";
import { redirectKind, safeHost } from "./redirect-uri.ts";
import { currentSession } from "./session.ts";
import { sessionControls } from "./sign-out.ts";

// {base}/oauth/setup (spec §1.6, §3.7): the consent page. GET renders it for the signed-in person and binds
// a fresh CSRF token to (session, authorization request); POST checks Origin, session, binding and token,
// then answers the client: a code on approve, access_denied on cancel.

/** Authorization codes live 60 s (spec §2.4). */
const CODE_TTL_MS = 60_000;

interface ConsentDraft {
  readonly server: OAuthServer;
  readonly req: OAuthRequest;
  readonly form: Map<string, string>;
  session?: BrowserSessionRow;
  pending?: AuthorizationRequestRow;
}

type Check = (d: ConsentDraft) => void | Promise<void>;

/** Cross-site form posts carry a foreign Origin; browsers send Origin on every POST they make. */
function originIsOurs(d: ConsentDraft): void {
  const origin = d.req.request.headers.get("origin");
  if (origin !== null && origin !== d.req.origin) throw new AccessDenied("The form was submitted from another site.");
}

async function signedIn(d: ConsentDraft): Promise<void> {
  d.session = await currentSession(d.server, d.req);
  if (!d.session) throw new AccessDenied("Your sign-in session has expired. Start again from your MCP client.");
}

async function requestPending(d: ConsentDraft): Promise<void> {
  const id = d.form.get("request");
  d.pending = id ? await d.server.store.flows.findRequest(id, d.server.now()) : undefined;
  if (!d.pending) throw new InvalidRequest("This authorization request has expired or was already answered. Start again from your MCP client.");
}

/** The CSRF token is bound to the session that rendered the page and to this request (single use). */
function csrfTokenMatches(d: ConsentDraft): void {
  const token = d.form.get("csrf_token");
  const p = d.pending!;
  const bound = p.sessionHash !== null && p.csrfHash !== null && p.sessionHash === d.session!.sessionHash;
  if (!bound || token === undefined || !sameSecret(hashCredential(token), p.csrfHash!)) {
    throw new AccessDenied("The form's security token does not match this sign-in session. Reload the consent page and try again.");
  }
}

function decisionKnown(d: ConsentDraft): void {
  const decision = d.form.get("decision");
  if (decision !== "approve" && decision !== "cancel" && decision !== "continue") throw new InvalidRequest('The decision must be "approve", "continue" or "cancel".');
}

const DECISION_CHECKS: readonly Check[] = [originIsOurs, signedIn, requestPending, csrfTokenMatches, decisionKnown];

function consentError(err: OAuthError): Response {
  return htmlResponse(errorPage({ title: "This authorization cannot continue", message: err.description, code: err.code }), err.status);
}

/** GET: show the consent page (or send the browser to sign in first). */
export async function showConsent(server: OAuthServer, req: OAuthRequest): Promise<Response> {
  const requestId = req.url.searchParams.get("request") ?? "";
  const pending = await server.store.flows.findRequest(requestId, server.now());
  if (!pending) return consentError(new InvalidRequest("This authorization request has expired or was already answered. Start again from your MCP client."));
  const session = await currentSession(server, req);
  if (!session) return server.login.start(server, req, requestId);
  const csrf = mintCredential("csrf");
  if (!(await server.store.flows.bindRequest(requestId, session.sessionHash, hashCredential(csrf)))) {
    return consentError(new InvalidRequest("This authorization request was opened in another browser session. Start again from your MCP client."));
  }
  const route = server.routes.find((r) => r.operationId === pending.operationId);
  const cimd = isUrlClientId(pending.clientId);
  const redirect = redirectKind(pending.redirectUri);
  const consent = await server.store.flows.findConsent(session.subject, pending.clientId, pending.resource);
  const upstreams = (await server.upstreams?.(session.subject, pending.operationId, req.origin, requestId)) ?? [];
  const controls = sessionControls(server, req, session, requestId);
  return htmlResponse(
    consentPage({
      clientName: pending.clientName,
      clientOrigin: cimd ? `identified by ${new URL(pending.clientId).host}` : "registered with this gateway",
      redirectHost: safeHost(pending.redirectUri),
      redirectKind: redirect,
      routeName: route?.summary ?? pending.operationId,
      operationId: pending.operationId,
      routeUrl: pending.resource,
      subject: session.subject,
      scope: pending.scope,
      formAction: `${server.basePath}/oauth/setup`,
      requestId,
      csrfToken: csrf,
      localCimd: cimd && redirect !== "web",
      upstreams,
      ...(consent ? { approvedBefore: new Date(consent.approvedAt) } : {}),
      ...(controls ? { session: controls } : {}),
    }),
  );
}

/** POST: the person's decision. */
export async function decideConsent(server: OAuthServer, req: OAuthRequest): Promise<Response> {
  let d: ConsentDraft;
  try {
    d = { server, req, form: await readForm(req.request) };
    for (const check of DECISION_CHECKS) await check(d);
  } catch (err) {
    const e = asOAuthError(err);
    req.report("info", "mcp_auth_consent_rejected", e.description, { reasonCode: e.code });
    return consentError(e);
  }
  const p = d.pending!;
  const session = d.session!;
  // Spec §G19: Authorize waits for the route's upstream connections; "continue" goes to the next one.
  if (d.form.get("decision") !== "cancel") {
    const upstreams = (await server.upstreams?.(session.subject, p.operationId, req.origin, p.requestId)) ?? [];
    const next = upstreams.find((u) => u.required && !u.connected && u.connectUrl);
    if (next) return new Response(null, { status: 303, headers: { location: next.connectUrl!, ...NO_STORE } });
  }
  // Single use: a second submission of the same page (double click, replay) finds nothing to decide.
  if (!(await server.store.flows.deleteRequest(p.requestId))) {
    return consentError(new InvalidRequest("This authorization request was already answered."));
  }
  const fields = { subjectId: session.subject, clientId: p.clientId, operationId: p.operationId, redirectHost: safeHost(p.redirectUri) };
  if (d.form.get("decision") === "cancel") {
    req.report("info", "mcp_auth_consent_denied", `${session.subject} declined ${p.clientName}.`, fields);
    return authorizationErrorRedirect(new AccessDenied("The person declined the authorization request."), p.redirectUri, p.state ?? undefined, p.issuer, 303);
  }
  const code = mintCredential("ac");
  const now = server.now();
  await server.store.tokens.insertCode({
    codeHash: hashCredential(code),
    clientId: p.clientId,
    redirectUri: p.redirectUri,
    codeChallenge: p.codeChallenge,
    resource: p.resource,
    operationId: p.operationId,
    scope: p.scope,
    subject: session.subject,
    claims: session.claims,
    issueRefreshToken: p.issueRefreshToken,
    expiresAt: now + CODE_TTL_MS,
  });
  await server.store.flows.recordConsent({ subject: session.subject, clientId: p.clientId, resource: p.resource, scope: p.scope, approvedAt: now });
  req.report("info", "mcp_auth_consent_approved", `${session.subject} authorized ${p.clientName} for ${p.operationId}.`, fields);
  const target = new URL(p.redirectUri);
  target.searchParams.set("code", code);
  if (p.state !== null) target.searchParams.set("state", p.state);
  target.searchParams.set("iss", p.issuer);
  return new Response(null, { status: 303, headers: { location: target.href, ...NO_STORE } });
}
