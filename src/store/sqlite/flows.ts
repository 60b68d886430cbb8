import type { Database, Statement } from "bun:sqlite";
import type { AuthorizationRequestRow, ConsentRow, FlowRepository } from "../repositories.ts";
import { whenIdle, type TransactionGate } from "./gate.ts";

const REQUEST_COLUMNS = `request_id AS requestId, client_id AS clientId, client_name AS clientName, redirect_uri AS redirectUri, state,
  code_challenge AS codeChallenge, resource, operation_id AS operationId, scope, issuer, issue_refresh_token AS issueRefreshToken,
  session_hash AS sessionHash, csrf_hash AS csrfHash, created_at AS createdAt, expires_at AS expiresAt`;

export class SqliteFlowRepository implements FlowRepository {
  private readonly insertRequestStmt: Statement;
  private readonly findRequestStmt: Statement<AuthorizationRequestRow, [string, number]>;
  private readonly bindRequestStmt: Statement;
  private readonly releaseRequestStmt: Statement;
  private readonly deleteRequestStmt: Statement;
  private readonly upsertConsentStmt: Statement;
  private readonly findConsentStmt: Statement<ConsentRow, [string, string, string]>;
  private readonly sweepRequestsStmt: Statement;
  private readonly countRequestsStmt: Statement<{ n: number }, [number]>;

  constructor(
    db: Database,
    private readonly gate?: TransactionGate,
  ) {
    this.insertRequestStmt = db.prepare(`INSERT INTO oauth_authorization_requests (request_id, client_id, client_name, redirect_uri, state, code_challenge,
      resource, operation_id, scope, issuer, issue_refresh_token, session_hash, csrf_hash, created_at, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)`);
    this.findRequestStmt = db.prepare(`SELECT ${REQUEST_COLUMNS} FROM oauth_authorization_requests WHERE request_id = ? AND expires_at > ?`);
    this.bindRequestStmt = db.prepare(
      // First browser session to open the request owns it: another session cannot re-bind it to itself.
      "UPDATE oauth_authorization_requests SET session_hash = ?1, csrf_hash = ?2 WHERE request_id = ?3 AND (session_hash IS NULL OR session_hash = ?1)",
    );
    this.releaseRequestStmt = db.prepare("UPDATE oauth_authorization_requests SET session_hash = NULL, csrf_hash = NULL WHERE request_id = ? AND session_hash = ?");
    this.deleteRequestStmt = db.prepare("DELETE FROM oauth_authorization_requests WHERE request_id = ?");
    this.upsertConsentStmt = db.prepare(`INSERT INTO oauth_consents (subject, client_id, resource, scope, approved_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (subject, client_id, resource) DO UPDATE SET scope = excluded.scope, approved_at = excluded.approved_at`);
    this.findConsentStmt = db.prepare(
      "SELECT subject, client_id AS clientId, resource, scope, approved_at AS approvedAt FROM oauth_consents WHERE subject = ? AND client_id = ? AND resource = ?",
    );
    this.sweepRequestsStmt = db.prepare("DELETE FROM oauth_authorization_requests WHERE expires_at <= ?");
    this.countRequestsStmt = db.prepare("SELECT count(*) AS n FROM oauth_authorization_requests WHERE expires_at > ?");
  }

  async insertRequest(r: Omit<AuthorizationRequestRow, "sessionHash" | "csrfHash">): Promise<void> {
    await whenIdle(this.gate);
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

  async findRequest(requestId: string, now: number): Promise<AuthorizationRequestRow | undefined> {
    await whenIdle(this.gate);
    return this.findRequestStmt.get(requestId, now) ?? undefined;
  }

  async countRequests(now: number): Promise<number> {
    await whenIdle(this.gate);
    return this.countRequestsStmt.get(now)?.n ?? 0;
  }

  async bindRequest(requestId: string, sessionHash: string, csrfHash: string): Promise<boolean> {
    await whenIdle(this.gate);
    return this.bindRequestStmt.run(sessionHash, csrfHash, requestId).changes > 0;
  }

  async releaseRequest(requestId: string, sessionHash: string): Promise<boolean> {
    await whenIdle(this.gate);
    return this.releaseRequestStmt.run(requestId, sessionHash).changes > 0;
  }

  async deleteRequest(requestId: string): Promise<boolean> {
    await whenIdle(this.gate);
    return this.deleteRequestStmt.run(requestId).changes === 1;
  }

  async recordConsent(c: ConsentRow): Promise<void> {
    await whenIdle(this.gate);
    this.upsertConsentStmt.run(c.subject, c.clientId, c.resource, c.scope, c.approvedAt);
  }

  async findConsent(subject: string, clientId: string, resource: string): Promise<ConsentRow | undefined> {
    await whenIdle(this.gate);
    return this.findConsentStmt.get(subject, clientId, resource) ?? undefined;
  }

  async sweep(now: number): Promise<number> {
    await whenIdle(this.gate);
    return this.sweepRequestsStmt.run(now).changes;
  }
}
