// Schema history. Append only: a migration that has shipped is never edited, because stores in the field
// have already applied it. Each later feature adds its tables here with the next version number.

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "gateway_meta",
    sql: `CREATE TABLE gateway_meta (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;`,
  },
  {
    // The authorization server we are to MCP clients (issue #5). Times are epoch milliseconds. Tokens,
    // codes, client secrets and session ids are stored only as SHA-256 hashes (base64url): a copy of
    // this file does not let anyone call the gateway.
    version: 2,
    name: "oauth_authorization_server",
    sql: `
    CREATE TABLE oauth_clients (
      client_id TEXT PRIMARY KEY,
      secret_hash TEXT,
      metadata TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX oauth_clients_expiry ON oauth_clients (expires_at);

    CREATE TABLE oauth_browser_sessions (
      session_hash TEXT PRIMARY KEY,
      subject TEXT NOT NULL,
      claims TEXT NOT NULL,
      login_kind TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX oauth_browser_sessions_expiry ON oauth_browser_sessions (expires_at);

    CREATE TABLE oauth_authorization_requests (
      request_id TEXT PRIMARY KEY,
      client_id TEXT NOT NULL,
      client_name TEXT NOT NULL,
      redirect_uri TEXT NOT NULL,
      state TEXT,
      code_challenge TEXT NOT NULL,
      resource TEXT NOT NULL,
      operation_id TEXT NOT NULL,
      scope TEXT NOT NULL,
      issuer TEXT NOT NULL,
      issue_refresh_token INTEGER NOT NULL,
      session_hash TEXT,
      csrf_hash TEXT,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX oauth_authorization_requests_expiry ON oauth_authorization_requests (expires_at);

    CREATE TABLE oauth_codes (
      code_hash TEXT PRIMARY KEY,
      client_id TEXT NOT NULL,
      redirect_uri TEXT NOT NULL,
      code_challenge TEXT NOT NULL,
      resource TEXT NOT NULL,
      operation_id TEXT NOT NULL,
      scope TEXT NOT NULL,
      subject TEXT NOT NULL,
      claims TEXT NOT NULL,
      issue_refresh_token INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      used_at INTEGER,
      grant_id TEXT
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);

    CREATE TABLE oauth_grants (
      grant_id TEXT PRIMARY KEY,
      client_id TEXT NOT NULL,
      subject TEXT NOT NULL,
      claims TEXT NOT NULL,
      resource TEXT NOT NULL,
      operation_id TEXT NOT NULL,
      scope TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      revoked_at INTEGER
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX oauth_grants_expiry ON oauth_grants (expires_at);
    CREATE INDEX oauth_grants_client ON oauth_grants (client_id);

    CREATE TABLE oauth_tokens (
      token_hash TEXT PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
      grant_id TEXT NOT NULL REFERENCES oauth_grants (grant_id) ON DELETE CASCADE,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      rotated_at INTEGER,
      revoked_at INTEGER
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);
    CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);

    CREATE TABLE oauth_consents (
      subject TEXT NOT NULL,
      client_id TEXT NOT NULL,
      resource TEXT NOT NULL,
      scope TEXT NOT NULL,
      approved_at INTEGER NOT NULL,
      PRIMARY KEY (subject, client_id, resource)
    ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    // Per-user upstream OAuth (issue 21). Upstream tokens and client secrets are AES-GCM boxes under the
    // data-dir key (src/store/sealed.ts); connect states are looked up by the hash of their `state`.
    version: 3,
    name: "upstream_connections",
    sql: `
    CREATE TABLE upstream_connections (
      subject TEXT NOT NULL,
      upstream_id TEXT NOT NULL,
      auth_profile_id TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('active', 'reconsent_required')),
      sealed_tokens BLOB NOT NULL,
      scope TEXT,
      access_expires_at INTEGER,
      connected_by TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (subject, upstream_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX upstream_connections_upstream ON upstream_connections (upstream_id);

    CREATE TABLE upstream_clients (
      auth_profile_id TEXT PRIMARY KEY,
      issuer TEXT NOT NULL,
      client_id TEXT NOT NULL,
      sealed_secret BLOB,
      token_endpoint_auth_method TEXT NOT NULL,
      redirect_uri TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('dcr', 'cimd')),
      created_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE upstream_connect_states (
      state_hash TEXT PRIMARY KEY,
      subject TEXT NOT NULL,
      upstream_id TEXT NOT NULL,
      sealed_flow BLOB NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX upstream_connect_states_expiry ON upstream_connect_states (expires_at);
    `,
  },
  {
    // Federated browser login (issue #20): one row per sign-in sent to the IdP, keyed by the hash of its
    // `state`, taken (deleted) by the callback: single use. The nonce and the browser binding are hashes
    // too; the PKCE verifier is not stored at all (derived from the state under the data-dir key).
    version: 4,
    name: "oauth_login_states",
    sql: `
    CREATE TABLE oauth_login_states (
      state_hash TEXT PRIMARY KEY,
      request_id TEXT NOT NULL,
      nonce_hash TEXT NOT NULL,
      browser_hash TEXT NOT NULL,
      redirect_uri TEXT NOT NULL,
      pkce INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX oauth_login_states_expiry ON oauth_login_states (expires_at);
    `,
  },
  {
    // Fleet-wide counters (issue 23): rate-limit-inbound and the OAuth endpoint limits count here when the
    // store is shared, and private_key_jwt assertion ids are single use across instances. The embedded store
    // has the same tables (one schema history for both backends) and implements the repositories, but a
    // single process counts in memory (src/services/compose.ts), so they stay empty there.
    version: 5,
    name: "fleet_counters",
    sql: `
    CREATE TABLE rate_limit_counters (
      counter_key TEXT PRIMARY KEY,
      window_ms INTEGER NOT NULL,
      window_start INTEGER NOT NULL,
      previous INTEGER NOT NULL,
      current INTEGER NOT NULL,
      allowed INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE oauth_used_assertions (
      key_hash TEXT PRIMARY KEY,
      expires_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX oauth_used_assertions_expiry ON oauth_used_assertions (expires_at);
    `,
  },
];
