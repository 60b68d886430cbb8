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
  /** How many registrations are live at `now` (the registration cap). */
  count(now: number): Promise<number>;
  /**
   * The client obtained a token: keep its registration until `lifetimeMs` after it registered. Until
   * then it expires early (mcpgw.oauth.unusedClientTtlHours), so registrations nobody uses do not pile up.
   */
  markUsed(clientId: string, lifetimeMs: number): Promise<void>;
  /** Removes expired clients and the consents given to them; returns how many clients went. */
  sweep(now: number): Promise<number>;
  /** Live clients (not expired at `now`), oldest first: for the admin CLI (`mcpgw clients list`). */
  list(now: number): Promise<ClientRow[]>;
  /** Removes the client and the consents given to it; false when it was not there. Its grants stay (revoke them). */
  delete(clientId: string): Promise<boolean>;
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
  /** How many requests are pending at `now` (the pending-authorization cap). */
  countRequests(now: number): Promise<number>;
  /** Binds the request to a browser session and CSRF token; false when another session already owns it. */
  bindRequest(requestId: string, sessionHash: string, csrfHash: string): Promise<boolean>;
  /** Undoes bindRequest for the session that owns the request (it signed out to switch user); false otherwise. */
  releaseRequest(requestId: string, sessionHash: string): Promise<boolean>;
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
  /** Ends a session (sign-out); false when there was none. */
  delete(sessionHash: string): Promise<boolean>;
  /** Removes expired sessions; returns how many. */
  sweep(now: number): Promise<number>;
}

/** A sign-in sent to the IdP (federated login), from the redirect to the IdP until its callback. */
export interface LoginStateRow {
  /** SHA-256 of the `state` sent to the IdP. */
  readonly stateHash: string;
  /** The pending authorization request the sign-in is for. */
  readonly requestId: string;
  /** SHA-256 of the `nonce` the ID token must carry. */
  readonly nonceHash: string;
  /** SHA-256 of the login cookie of the browser that started the sign-in (login CSRF, RFC 6749 §10.12). */
  readonly browserHash: string;
  /** The redirect_uri sent to the IdP, repeated verbatim in the token request (RFC 6749 §4.1.3). */
  readonly redirectUri: string;
  /** 1 when a PKCE challenge was sent. */
  readonly pkce: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** Sign-ins in flight at the IdP. `take` is the replay guard. */
export interface LoginStateRepository {
  insert(row: LoginStateRow): Promise<void>;
  /** Removes and returns the live row for `stateHash`; undefined when unknown, expired or already taken. */
  take(stateHash: string, now: number): Promise<LoginStateRow | undefined>;
  /** Removes expired rows; returns how many. */
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

/** Which grants the admin CLI lists or revokes; every given member must match. */
export interface GrantFilter {
  readonly subject?: string;
  readonly clientId?: string;
  /** Only grants neither revoked nor expired at this time; all grants when absent. */
  readonly activeAt?: number;
}

/** A grant and how many of its tokens are usable at the time asked (`mcpgw tokens list`). */
export interface GrantSummary extends GrantRow {
  /** Access tokens neither revoked nor expired. */
  readonly accessTokens: number;
  /** Refresh tokens neither revoked, rotated nor expired (0 or 1 in a healthy family). */
  readonly refreshTokens: number;
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
  /** Grants matching `filter`, newest first, with their usable token counts at `now`. */
  listGrants(filter: GrantFilter, now: number): Promise<GrantSummary[]>;
}

/**
 * A person's (or, in shared mode, the gateway's) connection to one upstream MCP server (issue 21). The
 * tokens are one AES-GCM box (src/store/sealed.ts) under the data-dir key, with "subject\0upstreamId" as
 * associated data, so a row copied onto another person's key does not open. Shared connections use
 * subject "" (no IdP issues an empty `sub`).
 */
export interface UpstreamConnectionRow {
  readonly subject: string;
  readonly upstreamId: string;
  readonly authProfileId: string;
  /** "active", or "reconsent_required" once the upstream refused a refreshed token or the refresh token. */
  readonly status: "active" | "reconsent_required";
  /** Sealed JSON of the upstream tokens; empty once the connection needs consent again. */
  readonly sealedTokens: Uint8Array;
  readonly scope: string | null;
  /** When the upstream access token expires (epoch ms), null when the upstream did not say. */
  readonly accessExpiresAt: number | null;
  /** Who made the connection: the subject, or the administrator of a shared connection. */
  readonly connectedBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The gateway's client registration at an upstream authorization server, per authProfileId. */
export interface UpstreamClientRow {
  readonly authProfileId: string;
  readonly issuer: string;
  readonly clientId: string;
  /** Sealed client secret (associated data: the authProfileId), null for public clients. */
  readonly sealedSecret: Uint8Array | null;
  readonly tokenEndpointAuthMethod: string;
  /** The redirect URI registered with it: a new public origin means a new registration. */
  readonly redirectUri: string;
  readonly kind: "dcr" | "cimd";
  readonly createdAt: number;
}

/** A connect flow between the redirect to the upstream and its callback (state is stored hashed). */
export interface UpstreamConnectStateRow {
  readonly stateHash: string;
  readonly subject: string;
  readonly upstreamId: string;
  /** Sealed JSON: PKCE verifier, redirect URI, client id, issuer, resource, where to return. */
  readonly sealedFlow: Uint8Array;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface UpstreamConnectionFilter {
  readonly subject?: string;
  readonly upstreamId?: string;
}

/** Upstream connections, the gateway's registrations with upstream authorization servers, pending connects. */
export interface UpstreamConnectionRepository {
  find(subject: string, upstreamId: string): Promise<UpstreamConnectionRow | undefined>;
  /** Inserts or replaces the connection of (subject, upstreamId). */
  save(row: UpstreamConnectionRow): Promise<void>;
  list(filter: UpstreamConnectionFilter): Promise<UpstreamConnectionRow[]>;
  /** Deletes the matching connections; returns them. */
  remove(filter: UpstreamConnectionFilter): Promise<UpstreamConnectionRow[]>;
  findClient(authProfileId: string): Promise<UpstreamClientRow | undefined>;
  saveClient(row: UpstreamClientRow): Promise<void>;
  removeClient(authProfileId: string): Promise<void>;
  insertConnectState(row: UpstreamConnectStateRow): Promise<void>;
  /** Single use: the state, removed, unless unknown or expired. */
  takeConnectState(stateHash: string, now: number): Promise<UpstreamConnectStateRow | undefined>;
  /** Removes expired connect states; returns how many. */
  sweep(now: number): Promise<number>;
  /**
   * Runs `fn` (a refresh of this connection) while no other gateway sharing the store runs one for the
   * same connection, and returns what it returns: across a fleet one instance spends the refresh token,
   * the others wait and then find its new tokens. A store only one process uses (SQLite, under the
   * data-dir lock) just runs `fn`; the runtime's in-process single-flight does the rest.
   */
  exclusively<T>(subject: string, upstreamId: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * A rate-limit counter as the sliding-window counter reads it (src/limits/rate-limit-store.ts): the count
 * of the current fixed window (starting at `windowStart`, a multiple of `windowMs`) and of the one before.
 */
export interface RateCounterRow {
  readonly windowStart: number;
  readonly windowMs: number;
  readonly current: number;
  readonly previous: number;
}

/**
 * Rate-limit counters several gateway processes count together (a fleet's). One call is one atomic step of
 * the sliding-window counter: move the counter's windows to the one `now` falls in (a counter of another
 * `windowMs` starts afresh), decide whether one more request fits (previous × (1 − elapsed/window) +
 * current + 1 ≤ requestsAllowed), count it only if so, and return the decision with the counter after.
 */
export interface RateCounterRepository {
  consume(key: string, requestsAllowed: number, windowMs: number, now: number): Promise<{ readonly allowed: boolean; readonly counter: RateCounterRow }>;
  /** Removes counters idle for two windows (they count as zero); returns how many. */
  sweep(now: number): Promise<number>;
}

/** Used `jti` values of private_key_jwt client assertions (RFC 7523 §3), kept until the assertion expires. */
export interface UsedAssertionRepository {
  /**
   * Records `keyHash` as used until `expiresAt`: true the first time, false when it is already recorded and
   * unexpired at `now` (a replay). One statement, so of two instances racing with one assertion one wins.
   */
  claim(keyHash: string, expiresAt: number, now: number): Promise<boolean>;
  /** Removes expired ids; returns how many. */
  sweep(now: number): Promise<number>;
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
  readonly upstream: UpstreamConnectionRepository;
  readonly meta: MetaRepository;
  readonly logins: LoginStateRepository;
  readonly rateCounters: RateCounterRepository;
  readonly usedAssertions: UsedAssertionRepository;
}

/**
 * Whether the store can take writes right now (readiness, `/__mcpgw/health/ready`). A problem carries a
 * code from docs/operations.md#store-health and what to do about it.
 */
export type StoreHealth = { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string; readonly hint: string };

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
  /** What is wrong with the stored data (corruption, dangling references); empty when nothing is (`mcpgw doctor`). */
  checkIntegrity(): Promise<string[]>;
  /** A cheap check that writes can succeed (no write of its own): asked on every readiness probe. */
  health(): Promise<StoreHealth>;
  /** True when other gateway processes share this store (a fleet): it then needs the fleet's key. */
  readonly shared?: boolean;
  /**
   * Shared stores: calls `listener` for every revocation committed by any instance (this one included),
   * until the returned function is called. Absent when only this process writes the store.
   */
  watchRevocations?(listener: (revocation: Revocation) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
