import * as v from "valibot";
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { GatewaySettings, MtlsCertificate } from "./types.ts";
import type { ProblemSink, Path } from "./issues.ts";
import { ForwardRequestHeaders } from "../schemas/forward-request-headers.ts";

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
    v.strictObject({
      connectTimeoutMs: v.optional(PositiveInt, 10_000),
      requestTimeoutMs: v.optional(PositiveInt, 300_000),
      sseIdleTimeoutMs: v.optional(PositiveInt, 300_000),
      maxRequestBodyBytes: v.optional(PositiveInt, 4 * 1024 * 1024),
      forwardRequestHeaders: v.optional(ForwardRequestHeaders, []),
    }),
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
  oauth: v.optional(
    v.strictObject({
      // How long a validated access token is trusted without asking the store: the longest a revocation
      // made on another instance goes unseen when revocation notices are not delivered (docs/fleet.md).
      tokenCacheSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(3600)), 10),
    }),
    {},
  ),
});

export const ZuploFileSchema = v.looseObject({
  version: v.optional(v.literal(1)),
  compatibilityDate: IsoDate,
  mcpgw: v.optional(SettingsSchema, {}),
});

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
