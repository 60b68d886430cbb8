// What the gateway's OAuth authorization server needs from whichever MCP OAuth policy a project uses.
// Every such policy type (the generic mcp-oauth-inbound and each IdP wrapper) derives this once, when
// the project loads (a pure function in its catalog entry); src/oauth/ mounts the server from it and
// never reads policy options itself.

export type BrowserLoginKind = "local_dev" | "federated_oidc";

/** How a person signs in in the browser. */
export type BrowserLoginOptions =
  | { readonly kind: "local_dev" }
  | {
      readonly kind: "federated_oidc";
      /** The IdP's authorization endpoint. */
      readonly authorizationUrl: string;
      readonly tokenUrl: string;
      readonly clientId: string;
      readonly clientSecret: string;
      readonly scope: string;
      readonly audience?: string;
      readonly pkce: "S256" | "none";
      readonly remoteTimeoutMs: number;
      /**
       * How the gateway authenticates at the IdP's token endpoint: HTTP Basic (RFC 6749 §2.3.1, what
       * every OIDC provider must accept), or the secret in the form body for IdPs that take only that.
       */
      readonly tokenEndpointAuthMethod: "client_secret_basic" | "client_secret_post";
    };

export interface AuthorizationServerOptions {
  readonly login: BrowserLoginOptions;
  /** The IdP whose ID tokens sign people in (federated login). */
  readonly oidc: {
    readonly issuer: string;
    readonly jwksUrl: string;
    readonly audience?: string;
    /** Other exact spellings of the issuer the IdP puts in `iss` (Google: `accounts.google.com`). */
    readonly issuerAliases?: readonly string[];
  };
  /** How long a pending authorization request lives (authorize → consent). */
  readonly stateTtlSeconds: number;
  readonly sessionTtlSeconds: number;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly cimdEnabled: boolean;
}
