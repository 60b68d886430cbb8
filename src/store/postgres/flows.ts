import type { SQL } from "bun";
import type { AuthorizationRequestRow, ConsentRow, FlowRepository } from "../repositories.ts";
import { ms } from "./rows.ts";

export class PostgresFlowRepository implements FlowRepository {
  constructor(private readonly sql: SQL) {}

  async insertRequest(r: Omit<AuthorizationRequestRow, "sessionHash" | "csrfHash">): Promise<void> {
    await this.sql`INSERT INTO oauth_authorization_requests (request_id, client_id, client_name, redirect_uri, state, code_challenge, resource,
      operation_id, scope, issuer, issue_refresh_token, session_hash, csrf_hash, created_at, expires_at)
      VALUES (${r.requestId}, ${r.clientId}, ${r.clientName}, ${r.redirectUri}, ${r.state}, ${r.codeChallenge}, ${r.resource}, ${r.operationId},
      ${r.scope}, ${r.issuer}, ${r.issueRefreshToken}, NULL, NULL, ${r.createdAt}, ${r.expiresAt})`;
  }

  async findRequest(requestId: string, now: number): Promise<AuthorizationRequestRow | undefined> {
    const [row] = await this.sql<AuthorizationRequestRow[]>`SELECT request_id AS "requestId", client_id AS "clientId", client_name AS "clientName",
      redirect_uri AS "redirectUri", state, code_challenge AS "codeChallenge", resource, operation_id AS "operationId", scope, issuer,
      issue_refresh_token AS "issueRefreshToken", session_hash AS "sessionHash", csrf_hash AS "csrfHash", created_at AS "createdAt",
      expires_at AS "expiresAt" FROM oauth_authorization_requests WHERE request_id = ${requestId} AND expires_at > ${now}`;
    return row && { ...row, createdAt: ms(row.createdAt), expiresAt: ms(row.expiresAt) };
  }

  async countRequests(now: number): Promise<number> {
    const [row] = await this.sql<{ n: string }[]>`SELECT count(*) AS n FROM oauth_authorization_requests WHERE expires_at > ${now}`;
    return ms(row!.n);
  }

  async bindRequest(requestId: string, sessionHash: string, csrfHash: string): Promise<boolean> {
    // First browser session to open the request owns it: another session cannot re-bind it to itself.
    const result = await this.sql`UPDATE oauth_authorization_requests SET session_hash = ${sessionHash}, csrf_hash = ${csrfHash}
      WHERE request_id = ${requestId} AND (session_hash IS NULL OR session_hash = ${sessionHash})`;
    return result.count > 0;
  }

  async releaseRequest(requestId: string, sessionHash: string): Promise<boolean> {
    const result = await this.sql`UPDATE oauth_authorization_requests SET session_hash = NULL, csrf_hash = NULL
      WHERE request_id = ${requestId} AND session_hash = ${sessionHash}`;
    return result.count > 0;
  }

  async deleteRequest(requestId: string): Promise<boolean> {
    return (await this.sql`DELETE FROM oauth_authorization_requests WHERE request_id = ${requestId}`).count === 1;
  }

  async recordConsent(c: ConsentRow): Promise<void> {
    await this.sql`INSERT INTO oauth_consents (subject, client_id, resource, scope, approved_at)
      VALUES (${c.subject}, ${c.clientId}, ${c.resource}, ${c.scope}, ${c.approvedAt})
      ON CONFLICT (subject, client_id, resource) DO UPDATE SET scope = excluded.scope, approved_at = excluded.approved_at`;
  }

  async findConsent(subject: string, clientId: string, resource: string): Promise<ConsentRow | undefined> {
    const [row] = await this.sql<ConsentRow[]>`SELECT subject, client_id AS "clientId", resource, scope, approved_at AS "approvedAt"
      FROM oauth_consents WHERE subject = ${subject} AND client_id = ${clientId} AND resource = ${resource}`;
    return row && { ...row, approvedAt: ms(row.approvedAt) };
  }

  async sweep(now: number): Promise<number> {
    return (await this.sql`DELETE FROM oauth_authorization_requests WHERE expires_at <= ${now}`).count;
  }
}
