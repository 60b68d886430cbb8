// The store as the rest of the gateway sees it: one small async repository per table group, and
// transaction(). Nothing outside src/store/ sees a database handle or SQL, so a second backend (the
// scale-out issue's PostgreSQL) implements these interfaces and runs the same contract tests
// (test/store/contract.ts). Times are epoch milliseconds. Every credential column holds a SHA-256 hash
// (base64url), never the credential: a copy of the store does not let anyone call the gateway.

/** A dynamically registered client (RFC 7591). `metadata` is the validated metadata, as JSON text. */
export interface ClientRow {
  readonly clientId: string;
  /** SHA-256 of the client secret; null for public clients. */
  readonly secretHash: string | null;
  readonly metadata: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** DCR clients. CIMD clients are not stored: their document is the registration (src/oauth/cimd.ts). */
export interface ClientRepository {
  insert(row: ClientRow): Promise<void>;
  /** The client, unless it is unknown or has expired. */
  find(clientId: string, now: number): Promise<ClientRow | undefined>;
  /** Removes expired clients and the consents given to them; returns how many clients went. */
  sweep(now: number): Promise<number>;
}

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

export interface ConsentRow {
  readonly subject: string;
  readonly clientId: string;
  readonly resource: string;
  readonly scope: string;
  readonly approvedAt: number;
}

/** The browser part of the flow: pending authorization requests and the consents people gave. */
export interface FlowRepository {
  insertRequest(row: Omit<AuthorizationRequestRow, "sessionHash" | "csrfHash">): Promise<void>;
  findRequest(requestId: string, now: number): Promise<AuthorizationRequestRow | undefined>;
  /** Binds the request to a browser session and CSRF token; false when another session already owns it. */
  bindRequest(requestId: string, sessionHash: string, csrfHash: string): Promise<boolean>;
  /** Single use: whether this call removed it (false when another decision got there first). */
  deleteRequest(requestId: string): Promise<boolean>;
  recordConsent(row: ConsentRow): Promise<void>;
  findConsent(subject: string, clientId: string, resource: string): Promise<ConsentRow | undefined>;
  /** Removes expired requests; returns how many. */
  sweep(now: number): Promise<number>;
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

/** Browser sessions between login and consent (spec §1.3). */
export interface SessionRepository {
  insert(row: BrowserSessionRow): Promise<void>;
  find(sessionHash: string, now: number): Promise<BrowserSessionRow | undefined>;
  /** Removes expired sessions; returns how many. */
  sweep(now: number): Promise<number>;
}

/** An authorization code: 60 s, single use, bound to client, redirect URI, PKCE challenge and resource. */
export interface CodeRow {
  readonly codeHash: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly resource: string;
  readonly operationId: string;
  readonly scope: string;
  readonly subject: string;
  readonly claims: string;
  readonly issueRefreshToken: number;
  readonly expiresAt: number;
  readonly usedAt: number | null;
  /** The grant the code was exchanged for: what a replayed code revokes. */
  readonly grantId: string | null;
}

/** One authorization: every access and refresh token of a refresh family hangs off it. */
export interface GrantRow {
  readonly grantId: string;
  readonly clientId: string;
  readonly subject: string;
  readonly claims: string;
  readonly resource: string;
  readonly operationId: string;
  readonly scope: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
}

export type TokenKind = "access" | "refresh";

/** A token joined with its grant: everything a check needs. */
export interface TokenView extends Pick<GrantRow, "clientId" | "subject" | "claims" | "resource" | "operationId" | "scope"> {
  readonly kind: TokenKind;
  readonly grantId: string;
  readonly expiresAt: number;
  readonly rotatedAt: number | null;
  readonly revokedAt: number | null;
  readonly grantExpiresAt: number;
  readonly grantRevokedAt: number | null;
}

export interface TokenSweepCounts {
  readonly codes: number;
  readonly grants: number;
  readonly tokens: number;
}

/** Codes, grants and tokens. The conditional updates (useCode, rotateRefreshToken) are the replay guards. */
export interface TokenRepository {
  insertCode(row: Omit<CodeRow, "usedAt" | "grantId">): Promise<void>;
  findCode(codeHash: string): Promise<CodeRow | undefined>;
  /** Marks the code used; false when it already was (a replay). */
  useCode(codeHash: string, now: number): Promise<boolean>;
  attachGrant(codeHash: string, grantId: string): Promise<void>;
  insertGrant(row: Omit<GrantRow, "revokedAt">): Promise<void>;
  insertToken(tokenHash: string, kind: TokenKind, grantId: string, createdAt: number, expiresAt: number): Promise<void>;
  findToken(tokenHash: string): Promise<TokenView | undefined>;
  /** Marks a refresh token as exchanged; false when it already was (rotation reuse) or is revoked. */
  rotateRefreshToken(tokenHash: string, now: number): Promise<boolean>;
  revokeToken(tokenHash: string, now: number): Promise<boolean>;
  revokeGrant(grantId: string, now: number): Promise<boolean>;
  /**
   * Deletes expired rows. Codes go only once they expired before `codesExpiredBefore`, so a late replay
   * is still recognised and revokes its grant; refresh tokens, rotated ones included, live as long as
   * their grant so reuse is detected for the whole family's life; grants take their tokens with them.
   */
  sweep(now: number, codesExpiredBefore: number): Promise<TokenSweepCounts>;
}

/** Small gateway-wide values (gateway_meta): e.g. the data-dir key check. */
export interface MetaRepository {
  get(key: string): Promise<string | undefined>;
  /** Sets the value unless the key exists; returns the value now stored. */
  setIfAbsent(key: string, value: string): Promise<string>;
}

/** Every repository; what a transaction hands its callback. New table groups add a member here. */
export interface Repositories {
  readonly clients: ClientRepository;
  readonly flows: FlowRepository;
  readonly sessions: SessionRepository;
  readonly tokens: TokenRepository;
  readonly meta: MetaRepository;
}

/** What another instance of a fleet revoked; `unknown` when notices may have been missed (forget all). */
export type Revocation = { readonly kind: "token"; readonly tokenHash: string } | { readonly kind: "grant"; readonly grantId: string } | { readonly kind: "unknown" };

export interface Store extends Repositories {
  /** Where the data lives, for logs (a file path; a redacted URL for a server). */
  readonly location: string;
  readonly schemaVersion: number;
  /**
   * Runs `fn` in one transaction: all of its writes or none. `fn` must use the repositories it is
   * given, and should not wait on anything but them (other store calls queue behind it).
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** True when other gateway processes share this store (a fleet): it then needs the fleet's key. */
  readonly shared?: boolean;
  /**
   * Shared stores: calls `listener` for every revocation committed by any instance (this one included),
   * until the returned function is called. Absent when only this process writes the store.
   */
  watchRevocations?(listener: (revocation: Revocation) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
