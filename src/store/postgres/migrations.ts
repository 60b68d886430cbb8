import type { Migration } from "../sqlite/migrations.ts";

// The PostgreSQL schema history, in step with src/store/sqlite/migrations.ts: the same version number is
// the same feature on both backends, so `schemaVersion` means one thing whichever store a gateway uses.
// Append only, as there. Times are epoch milliseconds (BIGINT); credentials are SHA-256 hashes (base64url).

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "gateway_meta",
    sql: `CREATE TABLE gateway_meta (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );`,
  },
  {
    version: 2,
    name: "oauth_authorization_server",
    sql: `
    CREATE TABLE oauth_clients (
      client_id TEXT PRIMARY KEY,
      secret_hash TEXT,
      metadata TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL
    );
    CREATE INDEX oauth_clients_expiry ON oauth_clients (expires_at);

    CREATE TABLE oauth_browser_sessions (
      session_hash TEXT PRIMARY KEY,
      subject TEXT NOT NULL,
      claims TEXT NOT NULL,
      login_kind TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL
    );
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
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL
    );
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
      expires_at BIGINT NOT NULL,
      used_at BIGINT,
      grant_id TEXT
    );
    CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);

    CREATE TABLE oauth_grants (
      grant_id TEXT PRIMARY KEY,
      client_id TEXT NOT NULL,
      subject TEXT NOT NULL,
      claims TEXT NOT NULL,
      resource TEXT NOT NULL,
      operation_id TEXT NOT NULL,
      scope TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      revoked_at BIGINT
    );
    CREATE INDEX oauth_grants_expiry ON oauth_grants (expires_at);
    CREATE INDEX oauth_grants_client ON oauth_grants (client_id);

    CREATE TABLE oauth_tokens (
      token_hash TEXT PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
      grant_id TEXT NOT NULL REFERENCES oauth_grants (grant_id) ON DELETE CASCADE,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      rotated_at BIGINT,
      revoked_at BIGINT
    );
    CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);
    CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);

    CREATE TABLE oauth_consents (
      subject TEXT NOT NULL,
      client_id TEXT NOT NULL,
      resource TEXT NOT NULL,
      scope TEXT NOT NULL,
      approved_at BIGINT NOT NULL,
      PRIMARY KEY (subject, client_id, resource)
    );
    `,
  },
  {
    // Per-user upstream OAuth (issue 21): sealed boxes (src/store/sealed.ts) are BYTEA.
    version: 3,
    name: "upstream_connections",
    sql: `
    CREATE TABLE upstream_connections (
      subject TEXT NOT NULL,
      upstream_id TEXT NOT NULL,
      auth_profile_id TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('active', 'reconsent_required')),
      sealed_tokens BYTEA NOT NULL,
      scope TEXT,
      access_expires_at BIGINT,
      connected_by TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      PRIMARY KEY (subject, upstream_id)
    );
    CREATE INDEX upstream_connections_upstream ON upstream_connections (upstream_id);

    CREATE TABLE upstream_clients (
      auth_profile_id TEXT PRIMARY KEY,
      issuer TEXT NOT NULL,
      client_id TEXT NOT NULL,
      sealed_secret BYTEA,
      token_endpoint_auth_method TEXT NOT NULL,
      redirect_uri TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('dcr', 'cimd')),
      created_at BIGINT NOT NULL
    );

    CREATE TABLE upstream_connect_states (
      state_hash TEXT PRIMARY KEY,
      subject TEXT NOT NULL,
      upstream_id TEXT NOT NULL,
      sealed_flow BYTEA NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL
    );
    CREATE INDEX upstream_connect_states_expiry ON upstream_connect_states (expires_at);
    `,
  },
  {
    // Federated browser login (issue 20): sign-ins in flight at the IdP, taken (deleted) by the callback.
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
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL
    );
    CREATE INDEX oauth_login_states_expiry ON oauth_login_states (expires_at);
    `,
  },
  {
    // Fleet-wide counters (issue 23): one row per rate-limit counter, updated by one atomic upsert per
    // request (rate-counters.ts; no index but the key, so the update stays HOT and the sweep scans); used
    // client-assertion ids, claimed by one conditional insert.
    version: 5,
    name: "fleet_counters",
    sql: `
    CREATE TABLE rate_limit_counters (
      counter_key TEXT PRIMARY KEY,
      window_ms BIGINT NOT NULL,
      window_start BIGINT NOT NULL,
      previous INTEGER NOT NULL,
      current INTEGER NOT NULL,
      allowed BOOLEAN NOT NULL
    );

    CREATE TABLE oauth_used_assertions (
      key_hash TEXT PRIMARY KEY,
      expires_at BIGINT NOT NULL
    );
    CREATE INDEX oauth_used_assertions_expiry ON oauth_used_assertions (expires_at);
    `,
  },
];
