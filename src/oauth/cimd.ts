import { isIP } from "node:net";
import { parseClientMetadata, type ClientMetadata } from "./client-metadata.ts";
import { InvalidClient, OAuthError, TemporarilyUnavailable } from "./errors.ts";
import { checkedAddresses, SsrfRefused, type Resolve } from "./ssrf.ts";
import { BodyTooLargeError, readBodyWithin } from "../http/body.ts";
import { isLoopbackHostname, unbracket } from "../http/host.ts";

// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document-00, MCP 2025-11-25
// §Client ID Metadata Documents): a client_id that is an https URL names a JSON document holding the
// client's metadata. We fetch it defensively (SSRF guard, size and time limits, no redirects) and cache
// it by its Cache-Control within fixed bounds; errors and invalid documents are never cached.

export const CIMD_MAX_BYTES = 5 * 1024;
export const CIMD_TIMEOUT_MS = 5_000;
const MIN_TTL_MS = 60_000;
const DEFAULT_TTL_MS = 5 * 60_000;
const MAX_TTL_MS = 24 * 60 * 60_000;
const MAX_CACHED = 1_000;
/** Issue 18: each fetch holds a socket and up to 5 s; a burst of distinct client_ids must not open thousands. */
export const CIMD_MAX_CONCURRENT_FETCHES = 16;

/** A client_id shaped like a URL is a CIMD client id; everything else is looked up as a DCR client. */
export function isUrlClientId(clientId: string): boolean {
  return clientId.startsWith("https://") || clientId.startsWith("http://");
}

/** Why `clientId` is not an acceptable CIMD URL (draft §3), or undefined. `allowLoopbackHttp` in dev mode only. */
export function clientIdUrlProblem(clientId: string, allowLoopbackHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return "is not a URL";
  }
  const loopbackHttp = url.protocol === "http:" && allowLoopbackHttp && isLoopbackHostname(url.hostname);
  if (url.protocol !== "https:" && !loopbackHttp) return "must be an https URL";
  if (url.username || url.password) return "must not contain user credentials";
  if (clientId.includes("#")) return "must not contain a fragment";
  if (url.pathname === "/" || url.pathname === "") return "must have a path";
  const rawPath = clientId.slice(clientId.indexOf("/", clientId.indexOf("//") + 2)).split(/[?#]/)[0]!;
  if (rawPath.split("/").some((seg) => seg === "." || seg === "..")) return "must not contain . or .. path segments";
  // The document's client_id is compared by simple string comparison, so the URL must be in normal form.
  if (url.href !== clientId) return `must be written in normal form (${url.href})`;
  return undefined;
}

/** Seconds a document may be cached for, clamped to [1 min, 24 h]; 0 when the server forbids caching. */
export function cacheLifetimeMs(cacheControl: string | null): number {
  if (!cacheControl) return DEFAULT_TTL_MS;
  const directives = cacheControl.toLowerCase().split(",").map((d) => d.trim());
  if (directives.some((d) => d === "no-store" || d === "no-cache")) return 0;
  const maxAge = directives.map((d) => /^max-age=(\d+)$/.exec(d)?.[1]).find((x) => x !== undefined);
  if (maxAge === undefined) return DEFAULT_TTL_MS;
  return Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, Number(maxAge) * 1000));
}

export interface CimdFetchPolicy {
  readonly resolve: Resolve;
  /** The outbound fetch (the composition root's); global fetch when not given. */
  readonly fetch?: typeof fetch;
  /** Dev mode: loopback/private targets and http on loopback are allowed (a test server on 127.0.0.1). */
  readonly devMode: boolean;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** Documents fetched at once at most (CIMD_MAX_CONCURRENT_FETCHES); more answer temporarily_unavailable. */
  readonly maxConcurrentFetches?: number;
}

export interface FetchedClientMetadata {
  readonly metadata: ClientMetadata;
  readonly ttlMs: number;
}

/** Validation beyond RFC 7591 metadata that the CIMD draft (§4.1) and MCP add. */
export function validateClientMetadataDocument(clientId: string, doc: unknown): ClientMetadata {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error("the document is not a JSON object");
  const d = doc as Record<string, unknown>;
  if (d.client_id !== clientId) throw new Error("its client_id does not equal the URL it was fetched from");
  if ("client_secret" in d || "client_secret_expires_at" in d) throw new Error("it contains a client secret, which a metadata document must not");
  if (typeof d.client_name !== "string" || d.client_name.trim() === "") throw new Error("it has no client_name");
  const metadata = parseClientMetadata(doc, { defaultAuthMethod: "none" });
  if (metadata.token_endpoint_auth_method !== "none") {
    throw new Error(`token_endpoint_auth_method "${metadata.token_endpoint_auth_method}" uses a shared secret, which a metadata document cannot have`);
  }
  return metadata;
}

/**
 * Fetch and validate the document at `clientId`. Connects to an address checked by the SSRF guard (the
 * URL's host goes in Host and TLS SNI), follows no redirects, reads at most 5 KB within 5 s.
 */
export async function fetchClientMetadataDocument(clientId: string, policy: CimdFetchPolicy): Promise<FetchedClientMetadata> {
  const url = new URL(clientId);
  const addresses = await checkedAddresses(url.hostname, { resolve: policy.resolve, allowPrivate: policy.devMode });
  const signal = AbortSignal.timeout(policy.timeoutMs ?? CIMD_TIMEOUT_MS);
  const response = await fetchPinned(policy.fetch ?? fetch, url, addresses, signal);
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new Error(`it answered with a redirect (HTTP ${response.status}); redirects are not followed`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`it answered HTTP ${response.status}`);
  }
  const type = (response.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    await response.body?.cancel();
    throw new Error(`its content type is "${type || "(none)"}", not application/json`);
  }
  const maxBytes = policy.maxBytes ?? CIMD_MAX_BYTES;
  const text = await readBodyWithin(response, maxBytes).then((bytes) => new TextDecoder().decode(bytes)).catch((err: unknown) => {
    throw err instanceof BodyTooLargeError ? new Error(`the document is larger than ${maxBytes} bytes`) : err;
  });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error("it is not valid JSON");
  }
  return { metadata: validateClientMetadataDocument(clientId, doc), ttlMs: cacheLifetimeMs(response.headers.get("cache-control")) };
}

/**
 * GET `url` from one of `addresses` (tried in order while connections fail), never resolving the name
 * again: the URL's host goes in the Host header and the TLS server name, so certificates still verify.
 */
async function fetchPinned(fetch: typeof globalThis.fetch, url: URL, addresses: readonly string[], signal: AbortSignal): Promise<Response> {
  const literal = isIP(unbracket(url.hostname)) !== 0;
  let lastError: unknown;
  for (const address of literal ? [url.hostname] : addresses) {
    const target = new URL(url);
    if (!literal) target.hostname = address.includes(":") ? `[${address}]` : address;
    const init: RequestInit & { tls?: { serverName: string } } = {
      redirect: "manual",
      signal,
      headers: { host: url.host, accept: "application/json" },
      ...(url.protocol === "https:" && !literal ? { tls: { serverName: url.hostname } } : {}),
    };
    try {
      return await fetch(target, init);
    } catch (err) {
      if (signal.aborted) throw err;
      lastError = err;
    }
  }
  throw lastError instanceof Error ? new Error(`cannot connect: ${lastError.message}`) : new Error("cannot connect");
}

/** Why a fetch failed, in words safe for an error page (no internal addresses in start mode). */
function describe(err: unknown): string {
  if (err instanceof SsrfRefused) return "its host is not a public internet address";
  if (err instanceof OAuthError) return err.description;
  if (err instanceof Error && err.name === "TimeoutError") return "it did not answer in time";
  return err instanceof Error ? err.message : String(err);
}

/** Resolves CIMD client ids to validated metadata, with a bounded cache shared across reloads. */
export class CimdClientResolver {
  private readonly cache = new Map<string, { metadata: ClientMetadata; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<FetchedClientMetadata>>();

  constructor(
    private readonly policy: CimdFetchPolicy,
    private readonly now: () => number,
  ) {}

  /** The client's metadata, or InvalidClient saying why the document cannot be used. */
  async resolve(clientId: string): Promise<ClientMetadata> {
    const problem = clientIdUrlProblem(clientId, this.policy.devMode);
    if (problem) throw new InvalidClient(`The client_id URL ${problem}.`);
    const cached = this.cache.get(clientId);
    if (cached && cached.expiresAt > this.now()) return cached.metadata;
    this.cache.delete(clientId);
    let pending = this.inFlight.get(clientId);
    if (!pending) {
      if (this.inFlight.size >= (this.policy.maxConcurrentFetches ?? CIMD_MAX_CONCURRENT_FETCHES)) {
        throw new TemporarilyUnavailable("Too many client metadata documents are being fetched right now; try again in a few seconds.", 503, 5);
      }
      pending = fetchClientMetadataDocument(clientId, this.policy).finally(() => this.inFlight.delete(clientId));
      this.inFlight.set(clientId, pending);
    }
    let fetched: FetchedClientMetadata;
    try {
      fetched = await pending;
    } catch (err) {
      throw new InvalidClient(`The client metadata document at ${new URL(clientId).host} cannot be used: ${describe(err)}.`);
    }
    if (fetched.ttlMs > 0) {
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(clientId, { metadata: fetched.metadata, expiresAt: this.now() + fetched.ttlMs });
    }
    return fetched.metadata;
  }
}
