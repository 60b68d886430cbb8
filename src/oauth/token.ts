import { jsonResponse, NO_STORE } from "../http/headers.ts";
import type { CodeRow, Repositories, TokenView } from "../store/repositories.ts";
import { authenticateClient, presentedCredentials, type AuthenticatedClient } from "./client-auth.ts";
import type { OAuthRequest, OAuthServer } from "./context.ts";
import { hashCredential, mintCredential, randomId, s256, sameSecret } from "./credentials.ts";
import { InvalidClient, InvalidGrant, InvalidRequest, InvalidScope, InvalidTarget, UnauthorizedClient, UnsupportedGrantType } from "./errors.ts";
import { readForm } from "./http.ts";
import { CLIENT_LIFETIME_MS } from "./register.ts";
import { canonicalResource } from "./resource.ts";

// POST {base}/oauth/token (OAuth 2.1 §3.2, spec §2.2): authorization_code and refresh_token grants. Each
// grant is a list of small checks over a draft; the first failing one throws a typed error that the
// endpoint (src/oauth/server.ts) turns into the RFC 6749 §5.2 body.

interface GrantDraft {
  readonly server: OAuthServer;
  readonly req: OAuthRequest;
  readonly form: Map<string, string>;
  readonly client: AuthenticatedClient;
  readonly now: number;
}

interface CodeDraft extends GrantDraft {
  code?: CodeRow;
}

interface RefreshDraft extends GrantDraft {
  refresh?: TokenView;
  refreshHash?: string;
}

export interface TokenResponseBody {
  readonly access_token: string;
  readonly token_type: "Bearer";
  readonly expires_in: number;
  readonly refresh_token?: string;
  readonly scope: string;
  readonly resource: string;
}

function required(form: Map<string, string>, name: string): string {
  const value = form.get(name);
  if (value === undefined) throw new InvalidRequest(`The ${name} parameter is missing.`);
  return value;
}

/** A token request that names a resource (RFC 8707 §2.2) must name the grant's; without one, the grant's applies. */
function resourceMatches(form: Map<string, string>, bound: string): void {
  const resource = form.get("resource");
  if (resource === undefined) return;
  if (canonicalResource(resource) !== canonicalResource(bound)) throw new InvalidTarget(`The resource does not match the one this grant was issued for (${bound}).`);
}

// ---- authorization_code ---------------------------------------------------------------------------

function codeAndVerifierPresent(d: CodeDraft): void {
  required(d.form, "code");
  required(d.form, "code_verifier");
}

async function codeKnown(d: CodeDraft): Promise<void> {
  d.code = await d.server.store.tokens.findCode(hashCredential(d.form.get("code")!));
  if (!d.code) throw new InvalidGrant("The authorization code is not valid.");
}

/**
 * RFC 6749 §4.1.2: a replayed code is refused, and what it produced is revoked (someone else used it).
 * Runs only after the code is shown to belong to the authenticated client and its PKCE verifier matches
 * (OAuth 2.1 §4.1.3): someone who merely saw a used code cannot revoke its owner's grant (issue 18).
 */
async function codeNotReplayed(d: CodeDraft): Promise<void> {
  const code = d.code!;
  if (code.usedAt === null) return;
  await revokeReplayedCode(d, code);
  throw new InvalidGrant("The authorization code was already used; the tokens issued for it are revoked.");
}

function codeNotExpired(d: CodeDraft): void {
  if (d.code!.expiresAt <= d.now) throw new InvalidGrant("The authorization code has expired (codes live 60 seconds).");
}

function codeIssuedToClient(d: CodeDraft): void {
  if (d.code!.clientId !== d.client.clientId) throw new InvalidGrant("The authorization code was issued to another client.");
}

function redirectUriSame(d: CodeDraft): void {
  const uri = d.form.get("redirect_uri");
  if (uri !== undefined && uri !== d.code!.redirectUri) throw new InvalidGrant("The redirect_uri differs from the one in the authorization request.");
}

/** RFC 7636 §4.6. */
function pkceVerifierMatches(d: CodeDraft): void {
  const verifier = d.form.get("code_verifier")!;
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) throw new InvalidRequest("The code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1).");
  if (!sameSecret(s256(verifier), d.code!.codeChallenge)) throw new InvalidGrant("The code_verifier does not match the code_challenge.");
}

function codeResourceMatches(d: CodeDraft): void {
  resourceMatches(d.form, d.code!.resource);
}

const CODE_CHECKS: readonly ((d: CodeDraft) => void | Promise<void>)[] = [
  codeAndVerifierPresent,
  codeKnown,
  codeIssuedToClient,
  pkceVerifierMatches,
  codeNotReplayed,
  codeNotExpired,
  redirectUriSame,
  codeResourceMatches,
];

async function revokeReplayedCode(d: GrantDraft, code: CodeRow): Promise<void> {
  const fields = { clientId: code.clientId, subjectId: code.subject, operationId: code.operationId };
  d.req.report("warn", "mcp_auth_code_reuse_detected", "An authorization code was presented twice; revoking what it produced.", fields);
  if (code.grantId !== null && (await d.server.runtime.revokeGrant(code.grantId))) {
    d.req.report("info", "mcp_auth_downstream_token_revoked", "Revoked the grant of a replayed authorization code.", { ...fields, grantId: code.grantId, reason: "code_reuse" });
  }
}

async function exchangeCode(d: CodeDraft): Promise<TokenResponseBody> {
  for (const check of CODE_CHECKS) await check(d);
  const code = d.code!;
  const { server } = d;
  // One transaction: the code is spent and the grant and its tokens exist, or none of it happened.
  const issued = await server.store.transaction(async (tx) => {
    if (!(await tx.tokens.useCode(code.codeHash, d.now))) return undefined;
    const grantId = randomId("grant");
    const grantExpiresAt = d.now + server.options.refreshTokenTtlSeconds * 1000;
    await tx.tokens.insertGrant({
      grantId,
      clientId: code.clientId,
      subject: code.subject,
      claims: code.claims,
      resource: code.resource,
      operationId: code.operationId,
      scope: code.scope,
      createdAt: d.now,
      expiresAt: grantExpiresAt,
    });
    await tx.tokens.attachGrant(code.codeHash, grantId);
    // Its first token: the registration is in use and keeps its full lifetime (src/oauth/register.ts).
    await tx.clients.markUsed(code.clientId, CLIENT_LIFETIME_MS);
    return { grantId, body: await issuePair(tx, d, grantId, grantExpiresAt, code.issueRefreshToken === 1, code.scope, code.resource) };
  });
  // Another request exchanged the code between our read and our write: that is a replay too.
  if (!issued) {
    const again = await server.store.tokens.findCode(code.codeHash);
    if (again) await revokeReplayedCode(d, again);
    throw new InvalidGrant("The authorization code was already used; the tokens issued for it are revoked.");
  }
  logIssued(d, { ...code, grantId: issued.grantId }, "authorization_code", issued.body);
  return issued.body;
}

// ---- refresh_token --------------------------------------------------------------------------------

async function refreshTokenKnown(d: RefreshDraft): Promise<void> {
  d.refreshHash = hashCredential(required(d.form, "refresh_token"));
  const row = await d.server.store.tokens.findToken(d.refreshHash);
  if (!row || row.kind !== "refresh") throw new InvalidGrant("The refresh token is not valid.");
  d.refresh = row;
}

function refreshIssuedToClient(d: RefreshDraft): void {
  if (d.refresh!.clientId !== d.client.clientId) throw new InvalidGrant("The refresh token was issued to another client.");
}

function refreshLive(d: RefreshDraft): void {
  const r = d.refresh!;
  if (r.grantRevokedAt !== null || r.revokedAt !== null) throw new InvalidGrant("The refresh token has been revoked.");
  if (r.expiresAt <= d.now || r.grantExpiresAt <= d.now) throw new InvalidGrant("The refresh token has expired; authorize again.");
}

/** OAuth 2.1 §4.3.1: a rotated refresh token presented again means the family leaked: revoke the grant. */
async function refreshNotRotated(d: RefreshDraft): Promise<void> {
  if (d.refresh!.rotatedAt === null) return;
  await revokeRotatedFamily(d);
  throw new InvalidGrant("The refresh token was already used; the whole grant is revoked. Authorize again.");
}

function clientMayRefresh(d: RefreshDraft): void {
  if (!d.client.registration.metadata.grant_types.includes("refresh_token")) throw new UnauthorizedClient("The client did not register the refresh_token grant.");
}

function refreshResourceMatches(d: RefreshDraft): void {
  resourceMatches(d.form, d.refresh!.resource);
}

function scopeWithinGrant(d: RefreshDraft): void {
  const requested = d.form.get("scope");
  if (requested === undefined) return;
  const granted = d.refresh!.scope.split(" ");
  const extra = requested.split(" ").filter((s) => s && !granted.includes(s));
  if (extra.length > 0) throw new InvalidScope(`The scope ${extra.join(" ")} was not granted.`);
}

const REFRESH_CHECKS: readonly ((d: RefreshDraft) => void | Promise<void>)[] = [
  refreshTokenKnown,
  refreshIssuedToClient,
  refreshLive,
  refreshNotRotated,
  clientMayRefresh,
  refreshResourceMatches,
  scopeWithinGrant,
];

async function revokeRotatedFamily(d: RefreshDraft): Promise<void> {
  const r = d.refresh!;
  const fields = { subjectId: r.subject, clientId: r.clientId, operationId: r.operationId, grantId: r.grantId };
  d.req.report("warn", "mcp_auth_refresh_token_reuse_detected", "A rotated refresh token was presented again; revoking its grant.", fields);
  if (await d.server.runtime.revokeGrant(r.grantId)) {
    d.req.report("info", "mcp_auth_downstream_token_revoked", "Revoked a grant after refresh token reuse.", { ...fields, reason: "refresh_token_reuse" });
  }
}

async function refresh(d: RefreshDraft): Promise<TokenResponseBody> {
  for (const check of REFRESH_CHECKS) await check(d);
  const r = d.refresh!;
  // One transaction: the old refresh token is spent and the new pair exists, or neither.
  const body = await d.server.store.transaction(async (tx) =>
    (await tx.tokens.rotateRefreshToken(d.refreshHash!, d.now)) ? issuePair(tx, d, r.grantId, r.grantExpiresAt, true, r.scope, r.resource) : undefined,
  );
  if (!body) {
    await revokeRotatedFamily(d);
    throw new InvalidGrant("The refresh token was already used; the whole grant is revoked. Authorize again.");
  }
  logIssued(d, r, "refresh_token", body);
  return body;
}

// ---- issuing --------------------------------------------------------------------------------------

/** New opaque tokens under `grantId`; the access token never outlives the grant (spec §2.2). */
async function issuePair(tx: Repositories, d: GrantDraft, grantId: string, grantExpiresAt: number, withRefresh: boolean, scope: string, resource: string): Promise<TokenResponseBody> {
  const accessToken = mintCredential("at");
  const accessExpiresAt = Math.min(d.now + d.server.options.accessTokenTtlSeconds * 1000, grantExpiresAt);
  await tx.tokens.insertToken(hashCredential(accessToken), "access", grantId, d.now, accessExpiresAt);
  let refreshToken: string | undefined;
  if (withRefresh) {
    refreshToken = mintCredential("rt");
    await tx.tokens.insertToken(hashCredential(refreshToken), "refresh", grantId, d.now, grantExpiresAt);
  }
  return {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: Math.max(0, Math.floor((accessExpiresAt - d.now) / 1000)),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    scope,
    resource,
  };
}

function logIssued(d: GrantDraft, grant: Pick<TokenView, "subject" | "clientId" | "operationId" | "grantId">, grantType: string, body: TokenResponseBody): void {
  d.req.report("info", "mcp_auth_downstream_token_issued", `Issued tokens to ${grant.clientId} for ${grant.operationId} (${grantType}).`, {
    subjectId: grant.subject,
    clientId: grant.clientId,
    operationId: grant.operationId,
    grantId: grant.grantId,
    grantType,
    expiresIn: body.expires_in,
  });
}

/** The token endpoint: authenticate the client, run the grant's checks, issue. */
export async function token(server: OAuthServer, req: OAuthRequest): Promise<Response> {
  const form = await readForm(req.request);
  const presented = presentedCredentials(req.request, form);
  if (!presented) throw new InvalidClient("The request does not identify a client: send client_id, or authenticate with HTTP Basic.");
  const client = await authenticateClient(server, req, "token", presented);
  const draft = { server, req, form, client, now: server.now() };
  const grantType = form.get("grant_type");
  let body: TokenResponseBody;
  if (grantType === "authorization_code") body = await exchangeCode(draft);
  else if (grantType === "refresh_token") body = await refresh(draft);
  else if (grantType === undefined) throw new InvalidRequest("The grant_type parameter is missing.");
  else throw new UnsupportedGrantType(`The grant_type "${grantType}" is not supported; use authorization_code or refresh_token.`);
  return jsonResponse(body, 200, NO_STORE);
}
