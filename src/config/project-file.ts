import * as v from "valibot";
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { GatewaySettings, MtlsCertificate } from "./types.ts";
import type { ProblemSink, Path } from "./issues.ts";
import { ForwardRequestHeaders } from "../schemas/forward-request-headers.ts";
import type { OptionDocs } from "../schemas/option-docs.ts";

export const ZUPLO_FILE = "zuplo.jsonc";
/** MCP gateway features need this compatibility date or later (seeds/compatibility-dates.mdx). */
export const MCP_MIN_COMPATIBILITY_DATE = "2026-03-01";

const IsoDate = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date written YYYY-MM-DD"),
  v.check((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), "is not a real calendar date"),
);

const PositiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));

const MtlsEntry = v.pipe(
  v.strictObject({
    certFile: v.optional(v.string()),
    keyFile: v.optional(v.string()),
    caFile: v.optional(v.string()),
    cert: v.optional(v.string()),
    key: v.optional(v.string()),
    ca: v.optional(v.string()),
  }),
  v.check((e) => Boolean(e.cert ?? e.certFile) && Boolean(e.key ?? e.keyFile), "needs a certificate (cert or certFile) and a private key (key or keyFile)"),
);

/** A built-in limit on one OAuth endpoint, per client address; `false` turns it off. */
const EndpointLimit = v.union([
  v.literal(false),
  v.strictObject({
    requestsAllowed: PositiveInt,
    timeWindowMinutes: v.pipe(v.number(), v.minValue(1 / 60, "must be at least one second (1/60)")),
  }),
]);

/**
 * `mcpgw.oauth`: bounds on the authorization server's unauthenticated endpoints (issue 18: registration
 * and pending authorizations filled the disk). Defaults in docs/configuration.md#mcpgwoauth.
 */
const OAuthSettingsSchema = v.strictObject({
  rateLimits: v.optional(
    v.strictObject({
      register: v.optional(EndpointLimit, { requestsAllowed: 20, timeWindowMinutes: 1 }),
      authorize: v.optional(EndpointLimit, { requestsAllowed: 60, timeWindowMinutes: 1 }),
      token: v.optional(EndpointLimit, { requestsAllowed: 120, timeWindowMinutes: 1 }),
    }),
    {},
  ),
  maxRegisteredClients: v.optional(PositiveInt, 10_000),
  maxPendingAuthorizations: v.optional(PositiveInt, 10_000),
  unusedClientTtlHours: v.optional(v.pipe(v.number(), v.minValue(1 / 60), v.maxValue(90 * 24)), 24),
  // How long a validated access token is trusted without asking the store: the longest a revocation
  // made on another instance goes unseen when revocation notices are not delivered (docs/fleet.md).
  tokenCacheSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(3600)), 10),
});

/** "sqlite" (the data dir's file, the default) or the PostgreSQL database a fleet shares (docs/fleet.md). */
export const StoreSetting = v.pipe(
  v.string(),
  v.check(
    (s) => s === "sqlite" || /^postgres(ql)?:\/\/[^/\s]+(\/[^\s]*)?$/i.test(s),
    'must be "sqlite" or a URL such as postgres://user:password@db.internal:5432/mcpgw (put the password in $env)',
  ),
);

/** The `mcpgw` block: self-hosting settings Zuplo's cloud decides for its users. All optional. */
export const SettingsSchema = v.strictObject({
  basePath: v.optional(v.pipe(v.string(), v.regex(/^(\/|\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)$/, "must be \"/\" or a path like /__zuplo")), "/"),
  trustForwardedHeaders: v.optional(v.boolean(), false),
  allowedHosts: v.optional(v.array(v.pipe(v.string(), v.regex(/^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:]+\]$|^[0-9.]+$/i, "must be a host name such as mcp.example.com (no scheme, no port)"))), []),
  publicOrigin: v.optional(v.pipe(v.string(), v.url(), v.regex(/^https?:\/\/[^/]+$/, "must be an origin such as https://mcp.example.com (no path)"))),
  proxy: v.optional(
    v.pipe(
      v.strictObject({
        connectTimeoutMs: v.optional(PositiveInt, 10_000),
        requestTimeoutMs: v.optional(PositiveInt, 300_000),
        sseIdleTimeoutMs: v.optional(PositiveInt, 300_000),
        maxRequestBodyBytes: v.optional(PositiveInt, 4 * 1024 * 1024),
        forwardRequestHeaders: v.optional(ForwardRequestHeaders, []),
        // Issue 18 (request bodies as a memory and event-loop DoS); docs/proxy.md#limits-and-timeouts.
        maxConcurrentBodyBytes: v.optional(PositiveInt, 64 * 1024 * 1024),
        maxJsonDepth: v.optional(v.pipe(PositiveInt, v.maxValue(1000, "must be at most 1000: deeper JSON is a stack and memory hazard, not a real MCP message")), 64),
        maxBatchSize: v.optional(PositiveInt, 32),
        maxFilteredResponseBytes: v.optional(PositiveInt, 16 * 1024 * 1024),
      }),
      v.check((p) => p.maxConcurrentBodyBytes >= p.maxRequestBodyBytes, "maxConcurrentBodyBytes must be at least maxRequestBodyBytes, or a body of the largest accepted size could never be read"),
    ),
    {},
  ),
  devLogin: v.optional(
    v.strictObject({
      users: v.optional(v.record(v.pipe(v.string(), v.regex(/^[A-Za-z0-9._@|:-]{1,128}$/, "must be a plain subject such as alice or alice@example.com")), v.record(v.string(), v.unknown())), {}),
    }),
    {},
  ),
  mtlsCertificates: v.optional(v.record(v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]+$/)), MtlsEntry), {}),
  store: v.optional(StoreSetting),
  oauth: v.optional(OAuthSettingsSchema, {}),
});

export const ZuploFileSchema = v.looseObject({
  version: v.optional(v.literal(1)),
  compatibilityDate: IsoDate,
  mcpgw: v.optional(SettingsSchema, {}),
});

const MTLS_PEM = "Paths are relative to the project directory; inline PEM (`cert`, `key`, `ca`) wins over the file.";

/** The words for docs/reference/zuplo-jsonc.md (scripts/docs-reference.ts). */
export const ZuploFileDocs: OptionDocs = {
  summary:
    "The project file, JSON with comments and trailing commas. Keys other than these are accepted and ignored (Zuplo projects carry more than mcpgw reads). `$env(NAME)` / `${env.NAME}` may be used inside the `mcpgw` block only. See [configuration.md](../configuration.md#zuplojsonc).",
  options: {
    version: "The file format version.",
    compatibilityDate: `Zuplo's compatibility date. A project that uses \`McpProxyHandler\` or any \`mcp-*-inbound\` policy needs ${MCP_MIN_COMPATIBILITY_DATE} or later (\`MCPGW_CONFIG_COMPATIBILITY_DATE_TOO_OLD\`).`,
    mcpgw: "Self-hosting settings, which Zuplo's cloud decides for its users. Zuplo ignores this key, so the file stays portable. Unknown keys in it are errors.",
    "mcpgw.basePath": "Where the gateway's own endpoints live: `/` is Zuplo 6.70's root layout (`/oauth/token`), `/__zuplo` gives Zuplo 7's layout. Discovery (`/.well-known/…`) always stays at the root.",
    "mcpgw.trustForwardedHeaders": "Derive the public origin (issuer, metadata URLs) from `X-Forwarded-Host` / `X-Forwarded-Proto`. Turn on only behind a proxy you control that sets them; otherwise any client could choose the issuer.",
    "mcpgw.allowedHosts": "Host names the gateway answers for besides `publicOrigin`'s host and the loopback names (DNS-rebinding defence): another `Host` gets 403 (health endpoints excepted), and MCP routes refuse a browser `Origin` that is not one of them. Bound to a non-loopback address with neither this nor `publicOrigin`, every name is answered and startup warns (`host_check_disabled`).",
    "mcpgw.publicOrigin": "A fixed public origin such as `https://mcp.example.com` for issuers and metadata URLs; wins over request headers, and its host is answered.",
    "mcpgw.proxy": "Gateway-wide limits of the MCP proxy (see [proxy.md](../proxy.md#limits-and-timeouts)).",
    "mcpgw.proxy.connectTimeoutMs": "Upstream connect timeout; a dead or firewalled host is reported within twice this (`-32082 upstream_connect_timeout`).",
    "mcpgw.proxy.requestTimeoutMs": "The whole upstream exchange, until the last byte of the answer (`-32083 upstream_timeout`).",
    "mcpgw.proxy.sseIdleTimeoutMs": "Longest silence between two chunks of an upstream event stream (`-32084 upstream_sse_idle_timeout`).",
    "mcpgw.proxy.maxRequestBodyBytes": "Larger request bodies get 413 (`-32080 request_too_large`).",
    "mcpgw.proxy.forwardRequestHeaders":
      "An mcpgw extension: client headers every route forwards to its upstream besides the built-in allow-list, e.g. `[\"x-tenant\"]` (a route adds its own with `McpProxyHandler`'s `forwardRequestHeaders`). `authorization`, `proxy-authorization`, `cookie`, `host`, hop-by-hop and framing headers, `forwarded`, `x-forwarded-*` and `x-request-id` are refused, with the reason.",
    "mcpgw.proxy.maxConcurrentBodyBytes":
      "Bytes of request bodies the whole gateway reads at once: a declared `Content-Length` is reserved before reading, a chunked body as its chunks arrive, and released once the body is parsed. A body that does not fit is refused with 503 and `Retry-After: 1` (`-32088 gateway_busy`). Must be at least `maxRequestBodyBytes`.",
    "mcpgw.proxy.maxJsonDepth":
      "Deepest nesting of arrays and objects in a request body, checked before the body is parsed; deeper bodies get 400 with `-32600` (`data.reasonCode` `json_too_deep`).",
    "mcpgw.proxy.maxBatchSize":
      "Most messages in a JSON-RPC batch (a body that is an array; batches exist only in MCP 2025-03-26). A longer batch gets 400 with `-32600` (`data.reasonCode` `batch_too_large`).",
    "mcpgw.proxy.maxFilteredResponseBytes":
      "Largest upstream list answer the capability filter reads to filter it (for an event stream: the largest event). A larger one is never passed on unfiltered: the client gets `-32089 upstream_response_too_large` (HTTP 502), or that error as the stream's last event. Routes without the filter are not affected.",
    "mcpgw.devLogin": "The loopback dev-login (`mcpgw dev` only).",
    "mcpgw.devLogin.users":
      "An mcpgw extension: local identities dev-login offers instead of the single `dev-browser-user`, subject → claims, e.g. `{ \"alice\": { \"roles\": [\"admin\"] } }`. Dev-login then shows a picker, and the claims flow into tokens as an IdP's would (for trying `rolesAndGroups` locally).",
    "mcpgw.store":
      "`sqlite` (the data dir's file) or the `postgres://` URL of the database a fleet of gateways shares ([fleet.md](../fleet.md)); `--store` / `MCPGW_STORE` win over it, `DATABASE_URL` comes after it. Read at start: a change takes a restart (`store_change_needs_restart`).",
    "mcpgw.oauth.tokenCacheSeconds":
      "How long a validated access token is trusted without asking the store; `0` asks on every request. In a fleet, the longest a revocation made on another instance can go unseen when its notice is lost ([fleet.md](../fleet.md#the-revocation-window)).",
    "mcpgw.mtlsCertificates": "Client certificates for upstream mTLS, by the id `McpProxyHandler`'s `mtlsCertificate` names.",
    "mcpgw.mtlsCertificates.<name>.certFile": `PEM file of the client certificate (and its intermediate chain). ${MTLS_PEM}`,
    "mcpgw.mtlsCertificates.<name>.keyFile": `PEM file of the certificate's private key. ${MTLS_PEM}`,
    "mcpgw.mtlsCertificates.<name>.caFile": `PEM file of the CAs that replace the system trust store for this upstream. ${MTLS_PEM}`,
    "mcpgw.mtlsCertificates.<name>.cert": "Inline PEM of the client certificate, e.g. `\"$env(UPSTREAM_CLIENT_CERT)\"`.",
    "mcpgw.mtlsCertificates.<name>.key": "Inline PEM of the private key, e.g. `\"$env(UPSTREAM_CLIENT_KEY)\"` (a variable whose name ends in `_KEY` is masked in the log).",
    "mcpgw.mtlsCertificates.<name>.ca": "Inline PEM of the CAs that replace the system trust store for this upstream.",
    "mcpgw.oauth": "Bounds on the authorization server's endpoints that anyone can call, so that unauthenticated requests cannot fill the disk (see [rate-limiting.md](../rate-limiting.md#built-in-limits-on-the-oauth-endpoints)).",
    "mcpgw.oauth.rateLimits":
      "Per-address request limits on the OAuth endpoints: the client address is the socket's peer or, with `trustForwardedHeaders`, the last `X-Forwarded-For` entry; IPv6 addresses count per /64. Sliding window as in `rate-limit-inbound`, counted in this process. Past a limit: 429 `temporarily_unavailable` with `Retry-After` (an HTML page on the browser endpoint `authorize`, a JSON error on the others). `false` turns one limit off.",
    "mcpgw.oauth.rateLimits.register": "Limit on `POST {basePath}/oauth/register` (dynamic client registration).",
    "mcpgw.oauth.rateLimits.register.requestsAllowed": "Registrations one address may make per window.",
    "mcpgw.oauth.rateLimits.register.timeWindowMinutes": "The window, in minutes (fractions allowed).",
    "mcpgw.oauth.rateLimits.authorize": "Limit on `GET {basePath}/oauth/authorize` (also its per-route form `…/authorize/{route path}`).",
    "mcpgw.oauth.rateLimits.authorize.requestsAllowed": "Authorization requests one address may make per window.",
    "mcpgw.oauth.rateLimits.authorize.timeWindowMinutes": "The window, in minutes (fractions allowed).",
    "mcpgw.oauth.rateLimits.token": "Limit on `POST {basePath}/oauth/token`; `POST {basePath}/oauth/revoke` counts against the same setting, with a counter of its own.",
    "mcpgw.oauth.rateLimits.token.requestsAllowed": "Token (or revocation) requests one address may make per window.",
    "mcpgw.oauth.rateLimits.token.timeWindowMinutes": "The window, in minutes (fractions allowed).",
    "mcpgw.oauth.maxRegisteredClients":
      "Most live dynamic registrations at once; past it registration answers 503 `temporarily_unavailable` with `Retry-After: 600` and logs `mcp_auth_client_limit_reached`. Client ID metadata document clients are not registrations and do not count.",
    "mcpgw.oauth.maxPendingAuthorizations":
      "Most authorization requests waiting for sign-in and consent at once; past it the client is redirected back with `temporarily_unavailable` and `mcp_auth_pending_limit_reached` is logged. A pending request lives the MCP OAuth policy's `stateTtlSeconds` (900 s by default).",
    "mcpgw.oauth.unusedClientTtlHours":
      "Hours a dynamic registration lives if it never obtains a token (fractions allowed); its first token extends it to the full 90 days from registration.",
  },
};

export interface ProjectFile {
  compatibilityDate: string;
  settings: GatewaySettings;
  /** Every id under mcpgw.mtlsCertificates, also those whose PEM file could not be read (reported here). */
  declaredMtlsCertificates: readonly string[];
}

/** Validate zuplo.jsonc (env already substituted) and read any mTLS PEM files it names. */
export function readProjectFile(value: unknown, projectDir: string, sink: ProblemSink): ProjectFile | undefined {
  const parsed = v.safeParse(ZuploFileSchema, value);
  if (!parsed.success) {
    sink.addSchemaIssues("MCPGW_CONFIG_PROJECT_INVALID", [], parsed.issues, "See docs/configuration.md#zuplojsonc for the accepted keys.");
    return undefined;
  }
  const { compatibilityDate, mcpgw } = parsed.output;
  const mtls: Record<string, MtlsCertificate> = {};
  for (const [id, entry] of Object.entries(mcpgw.mtlsCertificates)) {
    const read = (inline: string | undefined, file: string | undefined, key: string): string | undefined => {
      if (inline !== undefined) return inline;
      if (file === undefined) return undefined;
      const path: Path = ["mcpgw", "mtlsCertificates", id, key];
      try {
        return readFileSync(isAbsolute(file) ? file : join(projectDir, file), "utf8");
      } catch (err) {
        sink.add("MCPGW_CONFIG_MTLS_FILE_UNREADABLE", path, `Cannot read ${file}: ${(err as Error).message}.`, "Point it at a readable PEM file (paths are relative to the project directory).");
        return undefined;
      }
    };
    const cert = read(entry.cert, entry.certFile, "certFile");
    const key = read(entry.key, entry.keyFile, "keyFile");
    const ca = read(entry.ca, entry.caFile, "caFile");
    if (cert && key) mtls[id] = { cert, key, ...(ca ? { ca } : {}) };
  }
  return {
    compatibilityDate,
    declaredMtlsCertificates: Object.keys(mcpgw.mtlsCertificates),
    settings: {
      basePath: mcpgw.basePath === "/" ? "" : mcpgw.basePath,
      trustForwardedHeaders: mcpgw.trustForwardedHeaders,
      allowedHosts: mcpgw.allowedHosts,
      ...(mcpgw.publicOrigin ? { publicOrigin: mcpgw.publicOrigin } : {}),
      proxy: mcpgw.proxy,
      devLogin: { users: mcpgw.devLogin.users },
      mtlsCertificates: mtls,
      ...(mcpgw.store ? { store: mcpgw.store } : {}),
      oauth: mcpgw.oauth,
    },
  };
}
