import type { SQL } from "bun";
import type { CodeRow, GrantFilter, GrantRow, GrantSummary, TokenKind, TokenRepository, TokenSweepCounts, TokenView } from "../repositories.ts";
import { REVOCATION_CHANNEL } from "./revocations.ts";
import { ms, msOrNull } from "./rows.ts";

// The replay guards (useCode, rotateRefreshToken) are single conditional UPDATE … RETURNING statements:
// under READ COMMITTED a second instance's UPDATE of the same row waits for the first to commit, then
// re-checks `used_at IS NULL` / `rotated_at IS NULL` against the committed row and matches nothing.

export class PostgresTokenRepository implements TokenRepository {
  constructor(private readonly sql: SQL) {}

  async insertCode(c: Omit<CodeRow, "usedAt" | "grantId">): Promise<void> {
    await this.sql`INSERT INTO oauth_codes (code_hash, client_id, redirect_uri, code_challenge, resource, operation_id, scope, subject, claims,
      issue_refresh_token, expires_at, used_at, grant_id) VALUES (${c.codeHash}, ${c.clientId}, ${c.redirectUri}, ${c.codeChallenge}, ${c.resource},
      ${c.operationId}, ${c.scope}, ${c.subject}, ${c.claims}, ${c.issueRefreshToken}, ${c.expiresAt}, NULL, NULL)`;
  }

  async findCode(codeHash: string): Promise<CodeRow | undefined> {
    const [row] = await this.sql<CodeRow[]>`SELECT code_hash AS "codeHash", client_id AS "clientId", redirect_uri AS "redirectUri",
      code_challenge AS "codeChallenge", resource, operation_id AS "operationId", scope, subject, claims, issue_refresh_token AS "issueRefreshToken",
      expires_at AS "expiresAt", used_at AS "usedAt", grant_id AS "grantId" FROM oauth_codes WHERE code_hash = ${codeHash}`;
    return row && { ...row, expiresAt: ms(row.expiresAt), usedAt: msOrNull(row.usedAt) };
  }

  async useCode(codeHash: string, now: number): Promise<boolean> {
    const rows = await this.sql`UPDATE oauth_codes SET used_at = ${now} WHERE code_hash = ${codeHash} AND used_at IS NULL RETURNING code_hash`;
    return rows.length === 1;
  }

  async attachGrant(codeHash: string, grantId: string): Promise<void> {
    await this.sql`UPDATE oauth_codes SET grant_id = ${grantId} WHERE code_hash = ${codeHash}`;
  }

  async insertGrant(g: Omit<GrantRow, "revokedAt">): Promise<void> {
    await this.sql`INSERT INTO oauth_grants (grant_id, client_id, subject, claims, resource, operation_id, scope, created_at, expires_at, revoked_at)
      VALUES (${g.grantId}, ${g.clientId}, ${g.subject}, ${g.claims}, ${g.resource}, ${g.operationId}, ${g.scope}, ${g.createdAt}, ${g.expiresAt}, NULL)`;
  }

  async insertToken(tokenHash: string, kind: TokenKind, grantId: string, createdAt: number, expiresAt: number): Promise<void> {
    await this.sql`INSERT INTO oauth_tokens (token_hash, kind, grant_id, created_at, expires_at) VALUES (${tokenHash}, ${kind}, ${grantId}, ${createdAt}, ${expiresAt})`;
  }

  async findToken(tokenHash: string): Promise<TokenView | undefined> {
    // One round trip: over a network the JOIN is cheaper than SQLite's two primary-key lookups.
    const [row] = await this.sql<TokenView[]>`SELECT t.kind, t.grant_id AS "grantId", t.expires_at AS "expiresAt", t.rotated_at AS "rotatedAt",
      t.revoked_at AS "revokedAt", g.client_id AS "clientId", g.subject, g.claims, g.resource, g.operation_id AS "operationId", g.scope,
      g.expires_at AS "grantExpiresAt", g.revoked_at AS "grantRevokedAt"
      FROM oauth_tokens t JOIN oauth_grants g ON g.grant_id = t.grant_id WHERE t.token_hash = ${tokenHash}`;
    return (
      row && {
        ...row,
        expiresAt: ms(row.expiresAt),
        rotatedAt: msOrNull(row.rotatedAt),
        revokedAt: msOrNull(row.revokedAt),
        grantExpiresAt: ms(row.grantExpiresAt),
        grantRevokedAt: msOrNull(row.grantRevokedAt),
      }
    );
  }

  async rotateRefreshToken(tokenHash: string, now: number): Promise<boolean> {
    const rows = await this.sql`UPDATE oauth_tokens SET rotated_at = ${now}
      WHERE token_hash = ${tokenHash} AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL RETURNING token_hash`;
    return rows.length === 1;
  }

  async revokeToken(tokenHash: string, now: number): Promise<boolean> {
    const rows = await this.sql`WITH revoked AS (UPDATE oauth_tokens SET revoked_at = ${now} WHERE token_hash = ${tokenHash} AND revoked_at IS NULL RETURNING token_hash)
      SELECT pg_notify(${REVOCATION_CHANNEL}, 'token:' || token_hash) FROM revoked`;
    return rows.length === 1;
  }

  async revokeGrant(grantId: string, now: number): Promise<boolean> {
    const rows = await this.sql`WITH revoked AS (UPDATE oauth_grants SET revoked_at = ${now} WHERE grant_id = ${grantId} AND revoked_at IS NULL RETURNING grant_id)
      SELECT pg_notify(${REVOCATION_CHANNEL}, 'grant:' || grant_id) FROM revoked`;
    return rows.length === 1;
  }

  async sweep(now: number, codesExpiredBefore: number): Promise<TokenSweepCounts> {
    // One statement, so one snapshot and all-or-nothing; the grants' tokens go by ON DELETE CASCADE.
    const [row] = await this.sql<{ codes: string; tokens: string; grants: string }[]>`WITH
      codes AS (DELETE FROM oauth_codes WHERE expires_at <= ${codesExpiredBefore} RETURNING 1),
      tokens AS (DELETE FROM oauth_tokens WHERE expires_at <= ${now} AND kind = 'access' RETURNING 1),
      grants AS (DELETE FROM oauth_grants WHERE expires_at <= ${now} RETURNING 1)
      SELECT (SELECT count(*) FROM codes) AS codes, (SELECT count(*) FROM tokens) AS tokens, (SELECT count(*) FROM grants) AS grants`;
    return { codes: ms(row!.codes), tokens: ms(row!.tokens), grants: ms(row!.grants) };
  }

  async listGrants(filter: GrantFilter, now: number): Promise<GrantSummary[]> {
    // Admin only (mcpgw tokens list/revoke): an absent member of the filter matches every grant.
    const subject = filter.subject ?? null;
    const clientId = filter.clientId ?? null;
    const activeAt = filter.activeAt ?? null;
    const rows = await this.sql<(GrantRow & { accessTokens: string; refreshTokens: string })[]>`SELECT g.grant_id AS "grantId", g.client_id AS "clientId",
      g.subject, g.claims, g.resource, g.operation_id AS "operationId", g.scope, g.created_at AS "createdAt", g.expires_at AS "expiresAt", g.revoked_at AS "revokedAt",
      (SELECT count(*) FROM oauth_tokens t WHERE t.grant_id = g.grant_id AND t.kind = 'access' AND t.revoked_at IS NULL AND t.expires_at > ${now}) AS "accessTokens",
      (SELECT count(*) FROM oauth_tokens t WHERE t.grant_id = g.grant_id AND t.kind = 'refresh' AND t.revoked_at IS NULL AND t.rotated_at IS NULL
        AND t.expires_at > ${now}) AS "refreshTokens"
      FROM oauth_grants g
      WHERE (${subject}::text IS NULL OR g.subject = ${subject}::text)
        AND (${clientId}::text IS NULL OR g.client_id = ${clientId}::text)
        AND (${activeAt}::bigint IS NULL OR (g.revoked_at IS NULL AND g.expires_at > ${activeAt}::bigint))
      ORDER BY g.created_at DESC, g.grant_id COLLATE "C"`;
    return rows.map((row) => ({
      ...row,
      createdAt: ms(row.createdAt),
      expiresAt: ms(row.expiresAt),
      revokedAt: msOrNull(row.revokedAt),
      accessTokens: ms(row.accessTokens),
      refreshTokens: ms(row.refreshTokens),
    }));
  }
}
