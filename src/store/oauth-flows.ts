import type { Database, Statement } from "bun:sqlite";

/** A pending authorization request (authorize → login → consent), 15 minutes by default. */
export interface AuthorizationRequestRow {
  readonly requestId: string;
  readonly clientId: string;
  readonly clientName: string;
  readonly redirectUri: string;
  readonly state: string | null;
  readonly codeChallenge: string;
  readonly resource: string;
  readonly operationId: string;
  readonly scope: string;
  /** The issuer the client started from (gateway-wide or per-route), echoed as `iss` (RFC 9207). */
  readonly issuer: string;
  readonly issueRefreshToken: number;
  /** The browser session that last rendered the consent page, and that page's CSRF token hash. */
  readonly sessionHash: string | null;
  readonly csrfHash: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface BrowserSessionRow {
  readonly sessionHash: string;
  readonly subject: string;
  /** IdP claims as JSON text (empty object for dev-login). */
  readonly claims: string;
  readonly loginKind: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface ConsentRow {
  readonly subject: string;
  readonly clientId: string;
  readonly resource: string;
  readonly scope: string;
  readonly approvedAt: number;
}

const REQUEST_COLUMNS = `request_id AS requestId, client_id AS clientId, client_name AS clientName, redirect_uri AS redirectUri, state,
  code_challenge AS codeChallenge, resource, operation_id AS operationId, scope, issuer, issue_refresh_token AS issueRefreshToken,
  session_hash AS sessionHash, csrf_hash AS csrfHash, created_at AS createdAt, expires_at AS expiresAt`;

/** Authorization requests, browser sessions and consents: the state of the browser part of the flow. */
export class OAuthFlowStore {
  private readonly insertRequestStmt: Statement;
  private readonly findRequestStmt: Statement<AuthorizationRequestRow, [string, number]>;
  private readonly bindRequestStmt: Statement;
  private readonly deleteRequestStmt: Statement;
  private readonly insertSessionStmt: Statement;
  private readonly findSessionStmt: Statement<BrowserSessionRow, [string, number]>;
  private readonly upsertConsentStmt: Statement;
  private readonly findConsentStmt: Statement<ConsentRow, [string, string, string]>;
  private readonly sweepRequestsStmt: Statement;
  private readonly sweepSessionsStmt: Statement;

  constructor(db: Database) {
    this.insertRequestStmt = db.prepare(`INSERT INTO oauth_authorization_requests (request_id, client_id, client_name, redirect_uri, state, code_challenge,
      resource, operation_id, scope, issuer, issue_refresh_token, session_hash, csrf_hash, created_at, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)`);
    this.findRequestStmt = db.prepare(`SELECT ${REQUEST_COLUMNS} FROM oauth_authorization_requests WHERE request_id = ? AND expires_at > ?`);
    this.bindRequestStmt = db.prepare(
      // First browser session to open the request owns it: another session cannot re-bind it to itself.
      "UPDATE oauth_authorization_requests SET session_hash = ?1, csrf_hash = ?2 WHERE request_id = ?3 AND (session_hash IS NULL OR session_hash = ?1)",
    );
    this.deleteRequestStmt = db.prepare("DELETE FROM oauth_authorization_requests WHERE request_id = ?");
    this.insertSessionStmt = db.prepare(
      "INSERT INTO oauth_browser_sessions (session_hash, subject, claims, login_kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.findSessionStmt = db.prepare(
      `SELECT session_hash AS sessionHash, subject, claims, login_kind AS loginKind, created_at AS createdAt, expires_at AS expiresAt
       FROM oauth_browser_sessions WHERE session_hash = ? AND expires_at > ?`,
    );
    this.upsertConsentStmt = db.prepare(`INSERT INTO oauth_consents (subject, client_id, resource, scope, approved_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (subject, client_id, resource) DO UPDATE SET scope = excluded.scope, approved_at = excluded.approved_at`);
    this.findConsentStmt = db.prepare(
      "SELECT subject, client_id AS clientId, resource, scope, approved_at AS approvedAt FROM oauth_consents WHERE subject = ? AND client_id = ? AND resource = ?",
    );
    this.sweepRequestsStmt = db.prepare("DELETE FROM oauth_authorization_requests WHERE expires_at <= ?");
    this.sweepSessionsStmt = db.prepare("DELETE FROM oauth_browser_sessions WHERE expires_at <= ?");
  }

  insertRequest(r: Omit<AuthorizationRequestRow, "sessionHash" | "csrfHash">): void {
    this.insertRequestStmt.run(
      r.requestId,
      r.clientId,
      r.clientName,
      r.redirectUri,
      r.state,
      r.codeChallenge,
      r.resource,
      r.operationId,
      r.scope,
      r.issuer,
      r.issueRefreshToken,
      r.createdAt,
      r.expiresAt,
    );
  }

  findRequest(requestId: string, now: number): AuthorizationRequestRow | undefined {
    return this.findRequestStmt.get(requestId, now) ?? undefined;
  }

  /** Ties the request to the session that is looking at its consent page, with a fresh CSRF token. */
  /** Binds the request to a browser session and CSRF token; false when another session already owns it. */
  bindRequest(requestId: string, sessionHash: string, csrfHash: string): boolean {
    return this.bindRequestStmt.run(sessionHash, csrfHash, requestId).changes > 0;
  }

  /** Single use: returns whether this call removed it (false when another decision got there first). */
  deleteRequest(requestId: string): boolean {
    return this.deleteRequestStmt.run(requestId).changes === 1;
  }

  insertSession(s: BrowserSessionRow): void {
    this.insertSessionStmt.run(s.sessionHash, s.subject, s.claims, s.loginKind, s.createdAt, s.expiresAt);
  }

  findSession(sessionHash: string, now: number): BrowserSessionRow | undefined {
    return this.findSessionStmt.get(sessionHash, now) ?? undefined;
  }

  recordConsent(c: ConsentRow): void {
    this.upsertConsentStmt.run(c.subject, c.clientId, c.resource, c.scope, c.approvedAt);
  }

  findConsent(subject: string, clientId: string, resource: string): ConsentRow | undefined {
    return this.findConsentStmt.get(subject, clientId, resource) ?? undefined;
  }

  sweep(now: number): number {
    return this.sweepRequestsStmt.run(now).changes + this.sweepSessionsStmt.run(now).changes;
  }
}
