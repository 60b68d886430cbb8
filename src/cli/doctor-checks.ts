import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadProject } from "../config/load.ts";
import { errorsOnly } from "../config/problems.ts";
import type { GatewayConfig } from "../config/types.ts";
import { DEMO_UPSTREAM } from "../schemas/mcp-proxy-handler.ts";
import { openStore, StoreError, storeExists } from "../store/open.ts";
import { readSecretKey, SECRET_KEY_FILE } from "../store/secret-key.ts";

// The checks of `mcpgw doctor`, each a function from what it inspects to findings. Network checks take
// fetch and the clock as parameters, so a test points them at real loopback peers.

export type Status = "ok" | "warn" | "fail" | "skip";

export interface Finding {
  /** What was checked: config, data-dir, secret-key, store, idp, upstream, clock. */
  readonly check: string;
  readonly status: Status;
  readonly message: string;
  /** What to do about a warn or fail. */
  readonly fix?: string;
}

/** Server clocks more than this far off ours make token lifetimes and IdP ID tokens unreliable. */
export const SKEW_FAIL_SECONDS = 60;
/** HTTP Date has one-second resolution, and a round trip adds its own; below this we say nothing. */
export const SKEW_WARN_SECONDS = 5;

export function checkConfig(projectDir: string, env: Record<string, string | undefined>): { findings: Finding[]; config: GatewayConfig | undefined } {
  const result = loadProject(projectDir, { env });
  if (!result.ok) {
    const errors = errorsOnly(result.problems);
    const first = errors[0]!;
    return {
      config: undefined,
      findings: [{ check: "config", status: "fail", message: `${errors.length} problem(s) in ${projectDir}; first: ${first.code} ${first.message} (${first.file}${first.line !== undefined ? `:${first.line}` : ""})`, fix: `${first.hint} Run \`mcpgw validate --project ${projectDir}\` for all of them.` }],
    };
  }
  const config = result.config;
  const findings: Finding[] = [{ check: "config", status: "ok", message: `${config.routes.length} route(s) and ${config.policies.size} polic${config.policies.size === 1 ? "y" : "ies"} in ${projectDir}` }];
  for (const w of config.warnings) findings.push({ check: "config", status: "warn", message: `${w.code} ${w.message}`, fix: w.hint });
  return { findings, config };
}

export function checkSecretKey(dataDir: string): Finding {
  const path = join(dataDir, SECRET_KEY_FILE);
  try {
    if (!readSecretKey(dataDir)) return { check: "secret-key", status: "warn", message: `${path} does not exist yet`, fix: "It is created at the first start; if the gateway has run with this data dir before, restore it from a backup." };
  } catch (err) {
    const e = err as StoreError;
    return { check: "secret-key", status: "fail", message: `${e.code}: ${e.message}`, fix: e.hint };
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) return { check: "secret-key", status: "warn", message: `${path} is readable by others (mode ${mode.toString(8)})`, fix: `chmod 600 ${path}` };
  return { check: "secret-key", status: "ok", message: `${path}: 32-byte key, mode ${mode.toString(8)}` };
}

/** Opens the store (which applies pending migrations, as a start would) and checks its integrity. */
export async function checkStore(dataDir: string): Promise<Finding> {
  if (!existsSync(dataDir)) return { check: "store", status: "warn", message: `the data dir ${dataDir} does not exist`, fix: "Pass the gateway's --data-dir; a new gateway creates it at the first start." };
  if (!storeExists(dataDir)) return { check: "store", status: "skip", message: `no store in ${dataDir} yet (created at the first start)` };
  try {
    const store = await openStore(dataDir);
    try {
      const problems = await store.checkIntegrity();
      if (problems.length > 0) {
        return { check: "store", status: "fail", message: `${store.location}: ${problems.length} integrity problem(s); first: ${problems[0]}`, fix: "Stop the gateway and restore the data dir from a backup (docs/operations.md#backups); moving the store aside starts empty (clients register again, people sign in again)." };
      }
      return { check: "store", status: "ok", message: `${store.location}: schema v${store.schemaVersion}, integrity ok` };
    } finally {
      await store.close();
    }
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    return { check: "store", status: "fail", message: `${err.code}: ${err.message}`, fix: err.hint };
  }
}

/** A URL the doctor fetched, with the skew its Date header showed. */
export interface Probe {
  readonly url: string;
  readonly status?: number;
  readonly error?: string;
  readonly body?: unknown;
  /** Seconds the peer's clock is ahead of ours (negative: behind); undefined without a Date header. */
  readonly skewSeconds?: number;
}

export interface ProbeContext {
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly timeoutMs: number;
}

/** GET `url`; reads a JSON body, and compares the Date header with the midpoint of the round trip. */
export async function probe(url: string, ctx: ProbeContext, init: BunFetchRequestInit = {}): Promise<Probe> {
  const sent = ctx.now();
  let response: Response;
  try {
    response = await ctx.fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(ctx.timeoutMs), headers: { accept: "application/json" } });
  } catch (err) {
    const e = err as Error;
    return { url, error: e.name === "TimeoutError" ? `no answer within ${ctx.timeoutMs} ms` : e.message };
  }
  const received = ctx.now();
  const date = Date.parse(response.headers.get("date") ?? "");
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { url, status: response.status, body, ...(Number.isNaN(date) ? {} : { skewSeconds: (date - (sent + received) / 2) / 1000 }) };
}

/** The IdP of a federated browser login: its OIDC discovery document and its JWKS. */
export async function checkIdp(config: GatewayConfig, ctx: ProbeContext): Promise<{ findings: Finding[]; probes: Probe[] }> {
  const as = config.authorizationServer?.options;
  if (!as) return { findings: [{ check: "idp", status: "skip", message: "no route uses an MCP OAuth policy" }], probes: [] };
  if (as.login.kind === "local_dev") return { findings: [{ check: "idp", status: "skip", message: "browser login is /oauth/dev-login: no IdP to reach" }], probes: [] };
  const issuer = as.oidc.issuer.replace(/\/+$/, "");
  const discovery = await probe(`${issuer}/.well-known/openid-configuration`, ctx);
  const jwks = await probe(as.oidc.jwksUrl, ctx);
  const findings: Finding[] = [];
  if (discovery.error || discovery.status !== 200) {
    findings.push({ check: "idp", status: "fail", message: `${discovery.url}: ${discovery.error ?? `HTTP ${discovery.status}`}`, fix: "Check oidc.issuer in the MCP OAuth policy, and that this host can reach the IdP (DNS, firewall, proxy)." });
  } else if ((discovery.body as { issuer?: unknown } | undefined)?.issuer !== as.oidc.issuer) {
    findings.push({ check: "idp", status: "fail", message: `${discovery.url} names issuer ${JSON.stringify((discovery.body as { issuer?: unknown } | undefined)?.issuer)}, not ${as.oidc.issuer}`, fix: "Set oidc.issuer to exactly the issuer the IdP publishes (OpenID Connect Discovery §4.3: they must match)." });
  } else findings.push({ check: "idp", status: "ok", message: `${discovery.url}: issuer matches` });
  const keys = (jwks.body as { keys?: unknown } | undefined)?.keys;
  if (jwks.error || jwks.status !== 200 || !Array.isArray(keys)) {
    findings.push({ check: "idp", status: "fail", message: `${jwks.url}: ${jwks.error ?? (jwks.status !== 200 ? `HTTP ${jwks.status}` : "not a JWK set")}`, fix: "Check oidc.jwksUrl in the MCP OAuth policy (the IdP's jwks_uri)." });
  } else findings.push({ check: "idp", status: "ok", message: `${jwks.url}: ${keys.length} key(s)` });
  return { findings, probes: [discovery, jwks] };
}

/** RFC 9728 §3.1: the protected resource metadata of an upstream MCP URL (well-known segment before the path). */
export function protectedResourceMetadataUrl(upstream: string): string {
  const url = new URL(upstream);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/+$/, "");
  return `${url.origin}/.well-known/oauth-protected-resource${path}`;
}

/** Each distinct upstream of the routes: reachable, and whether it publishes OAuth metadata. */
export async function checkUpstreams(config: GatewayConfig, ctx: ProbeContext): Promise<{ findings: Finding[]; probes: Probe[] }> {
  const upstreams = new Map<string, { routes: string[]; tls: BunFetchRequestInit["tls"] }>();
  for (const route of config.routes) {
    const target = route.handler.options.rewritePattern;
    if (target === DEMO_UPSTREAM) continue;
    const url = new URL(target);
    // The query may carry a key; the metadata URL never uses it.
    url.search = "";
    // An mTLS upstream refuses a handshake without the route's client certificate.
    const id = route.handler.options.mtlsCertificate;
    const cert = id === undefined ? undefined : config.settings.mtlsCertificates[id];
    const entry = upstreams.get(url.href) ?? { routes: [], tls: cert ? { cert: cert.cert, key: cert.key, ...(cert.ca ? { ca: cert.ca } : {}) } : undefined };
    entry.routes.push(route.operationId);
    upstreams.set(url.href, entry);
  }
  if (upstreams.size === 0) return { findings: [{ check: "upstream", status: "skip", message: "every route uses the built-in demo upstream" }], probes: [] };
  const probes = await Promise.all([...upstreams].map(([u, { tls }]) => probe(protectedResourceMetadataUrl(u), ctx, tls ? { tls } : {})));
  const findings = probes.map((p, i): Finding => {
    const [upstream, { routes }] = [...upstreams][i]!;
    const label = `${upstream} (${routes.join(", ")})`;
    if (p.error) return { check: "upstream", status: "fail", message: `${label}: unreachable: ${p.error}`, fix: "Check the route's rewritePattern, that the upstream runs, and that this host can reach it." };
    if (p.status === 200) {
      const servers = (p.body as { authorization_servers?: unknown } | undefined)?.authorization_servers;
      return { check: "upstream", status: "ok", message: `${label}: reachable; protected resource metadata names ${Array.isArray(servers) ? servers.join(", ") : "no authorization server"}` };
    }
    if (p.status! >= 500) return { check: "upstream", status: "warn", message: `${label}: ${p.url} answered HTTP ${p.status}`, fix: "The upstream is up but failing; check its logs." };
    return { check: "upstream", status: "ok", message: `${label}: reachable; no OAuth metadata (HTTP ${p.status}), fine unless it needs OAuth` };
  });
  return { findings, probes };
}

/** The largest clock difference any peer's Date header showed. */
export function checkClock(probes: readonly Probe[]): Finding {
  const dated = probes.filter((p) => p.skewSeconds !== undefined);
  if (dated.length === 0) return { check: "clock", status: "skip", message: "no IdP or upstream answered with a Date header to compare with" };
  const worst = dated.reduce((a, b) => (Math.abs(b.skewSeconds!) > Math.abs(a.skewSeconds!) ? b : a));
  const skew = worst.skewSeconds!;
  const host = new URL(worst.url).host;
  const message = `largest difference: ${host} is ${Math.abs(skew).toFixed(1)} s ${skew >= 0 ? "ahead of" : "behind"} this machine (${dated.length} peer(s) compared)`;
  const fix = "Synchronise this machine's clock (e.g. `timedatectl set-ntp true`, chrony or ntpd); token expiry and IdP ID tokens depend on it.";
  if (Math.abs(skew) > SKEW_FAIL_SECONDS) return { check: "clock", status: "fail", message, fix };
  if (Math.abs(skew) > SKEW_WARN_SECONDS) return { check: "clock", status: "warn", message, fix };
  return { check: "clock", status: "ok", message };
}
