import type { AuthorizationServerOptions } from "../schemas/authorization-server.ts";
import type { McpProxyOptions } from "../schemas/mcp-proxy-handler.ts";
import type { ConfigProblem } from "./problems.ts";

/** The `mcpgw` block of zuplo.jsonc: settings a self-hosted gateway needs that Zuplo's cloud decides for you. */
export interface GatewaySettings {
  /** Where the gateway's own OAuth endpoints live: "" (root, the 6.70 layout) or e.g. "/__zuplo". */
  readonly basePath: string;
  /** Trust X-Forwarded-Host/-Proto for the public origin (only behind a proxy you control). */
  readonly trustForwardedHeaders: boolean;
  /** Host names the gateway answers for (DNS-rebinding defence); see src/gateway/host-guard.ts. */
  readonly allowedHosts: readonly string[];
  /** Fixed public origin (e.g. https://mcp.example.com); overrides what the request says. */
  readonly publicOrigin?: string;
  readonly proxy: ProxySettings;
  /** Local identities `/oauth/dev-login` offers (dev mode, loopback only): subject → IdP-style claims. */
  readonly devLogin: { readonly users: Readonly<Record<string, Record<string, unknown>>> };
  /** mTLS client certificates by id, for McpProxyHandler's `mtlsCertificate`. */
  readonly mtlsCertificates: Readonly<Record<string, MtlsCertificate>>;
  /** "sqlite" or a postgres:// URL; read when the process starts (a change takes a restart). */
  readonly store?: string;
  /** Bounds on the authorization server: per-address endpoint limits, store caps, unused-client retention. */
  readonly oauth: OAuthSettings;
}

/** A per-client-address limit on one OAuth endpoint, or false (off). */
export type OAuthEndpointLimit = false | { readonly requestsAllowed: number; readonly timeWindowMinutes: number };

export interface OAuthSettings {
  readonly rateLimits: { readonly register: OAuthEndpointLimit; readonly authorize: OAuthEndpointLimit; readonly token: OAuthEndpointLimit };
  /** Live DCR registrations at most; registration answers 503 past it. */
  readonly maxRegisteredClients: number;
  /** Pending authorization requests at most; authorize answers temporarily_unavailable past it. */
  readonly maxPendingAuthorizations: number;
  /** A registration that never obtained a token is removed after this long (then kept 90 days from registration). */
  readonly unusedClientTtlHours: number;
  /** Seconds a validated access token is trusted without a store lookup (0: every request looks). */
  readonly tokenCacheSeconds: number;
}

export interface ProxySettings {
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly sseIdleTimeoutMs: number;
  readonly maxRequestBodyBytes: number;
  /** Extra client headers every route forwards upstream (lower-case; refused names rejected at load). */
  readonly forwardRequestHeaders: readonly string[];
  /** Total bytes of request bodies being read at once, gateway-wide; past it, 503 with Retry-After. */
  readonly maxConcurrentBodyBytes: number;
  /** Deepest nesting of arrays and objects in a request body. */
  readonly maxJsonDepth: number;
  /** Most messages in a (2025-03-26) batch. */
  readonly maxBatchSize: number;
  /** Largest list answer the capability filter reads to filter it. */
  readonly maxFilteredResponseBytes: number;
}

export interface MtlsCertificate {
  /** PEM text of the client certificate chain (read from `certFile` or given inline via $env). */
  readonly cert: string;
  readonly key: string;
  /** Extra CA bundle to trust for the upstream, PEM. */
  readonly ca?: string;
}

export interface PolicyConfig {
  readonly name: string;
  readonly policyType: string;
  readonly exportName: string;
  /** Options after env substitution and the policy's own schema (defaults applied). */
  readonly options: unknown;
}

/** The route's handler: McpProxyHandler, the one handler type (src/schemas/catalog.ts). */
export interface HandlerConfig {
  readonly exportName: "McpProxyHandler";
  readonly options: McpProxyOptions;
}

export interface RouteConfig {
  readonly path: string;
  /** Upper-case HTTP methods from the `"get,post"` key. */
  readonly methods: readonly string[];
  readonly operationId: string;
  readonly summary?: string;
  readonly description?: string;
  readonly corsPolicy: string;
  readonly handler: HandlerConfig;
  readonly inbound: readonly string[];
  readonly outbound: readonly string[];
}

export interface GatewayConfig {
  readonly projectDir: string;
  readonly compatibilityDate: string;
  readonly settings: GatewaySettings;
  readonly policies: ReadonlyMap<string, PolicyConfig>;
  readonly routes: readonly RouteConfig[];
  /** The OAuth authorization server, when a route uses an MCP OAuth policy (config rules allow one). */
  readonly authorizationServer?: AuthorizationServerConfig;
  /** Values from secret env variables: registered with the log redaction layer on load. */
  readonly secretValues: readonly string[];
  readonly warnings: readonly ConfigProblem[];
}

/** The authorization server one config describes: derived from its MCP OAuth policy at load. */
export interface AuthorizationServerConfig {
  /** The MCP OAuth policy's name in policies.json. */
  readonly policyName: string;
  readonly options: AuthorizationServerOptions;
  /** The routes guarded by that policy: each is one resource with its own protected resource metadata. */
  readonly routes: readonly RouteConfig[];
}
