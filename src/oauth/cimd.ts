import { parseClientMetadata, type ClientMetadata } from "./client-metadata.ts";
import { InvalidClient, TemporarilyUnavailable } from "./errors.ts";
import { cacheLifetimeMs, describeFetchError, fetchJsonDocument, type GuardedFetchPolicy } from "./guarded-fetch.ts";
import { isLoopbackHostname } from "../http/host.ts";

// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document-00, MCP 2025-11-25
// §Client ID Metadata Documents): a client_id that is an https URL names a JSON document holding the
// client's metadata. We fetch it defensively (SSRF guard, size and time limits, no redirects) and cache
// it by its Cache-Control within fixed bounds; errors and invalid documents are never cached.

export const CIMD_MAX_BYTES = 5 * 1024;
export const CIMD_TIMEOUT_MS = 5_000;
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

/** Dev mode also allows http on loopback for the client_id URL itself. */
export interface CimdFetchPolicy extends GuardedFetchPolicy {
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** Documents fetched at once at most (CIMD_MAX_CONCURRENT_FETCHES); more answer temporarily_unavailable. */
  readonly maxConcurrentFetches?: number;
}

export interface FetchedClientMetadata {
  readonly metadata: ClientMetadata;
  readonly ttlMs: number;
}

/**
 * Validation beyond RFC 7591 metadata that the CIMD draft (§4.1) and MCP add. `devMode` allows a loopback
 * http jwks_uri, as it allows a loopback http client_id.
 */
export function validateClientMetadataDocument(clientId: string, doc: unknown, devMode = false): ClientMetadata {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error("the document is not a JSON object");
  const d = doc as Record<string, unknown>;
  if (d.client_id !== clientId) throw new Error("its client_id does not equal the URL it was fetched from");
  if ("client_secret" in d || "client_secret_expires_at" in d) throw new Error("it contains a client secret, which a metadata document must not");
  if (typeof d.client_name !== "string" || d.client_name.trim() === "") throw new Error("it has no client_name");
  const metadata = parseClientMetadata(doc, { defaultAuthMethod: "none", devMode });
  // CIMD draft §4.1: no shared secrets. A public client (none) or a key pair the document publishes
  // (private_key_jwt with jwks or jwks_uri, as ChatGPT's connector does).
  const method = metadata.token_endpoint_auth_method;
  if (method !== "none" && method !== "private_key_jwt") {
    throw new Error(`token_endpoint_auth_method "${method}" uses a shared secret, which a metadata document cannot have; use none or private_key_jwt`);
  }
  return metadata;
}

/**
 * Fetch and validate the document at `clientId`. Connects to an address checked by the SSRF guard (the
 * URL's host goes in Host and TLS SNI), follows no redirects, reads at most 5 KB within 5 s.
 */
export async function fetchClientMetadataDocument(clientId: string, policy: CimdFetchPolicy): Promise<FetchedClientMetadata> {
  const { doc, cacheControl } = await fetchJsonDocument(new URL(clientId), policy, {
    maxBytes: policy.maxBytes ?? CIMD_MAX_BYTES,
    timeoutMs: policy.timeoutMs ?? CIMD_TIMEOUT_MS,
  });
  return { metadata: validateClientMetadataDocument(clientId, doc, policy.devMode), ttlMs: cacheLifetimeMs(cacheControl) };
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
      throw new InvalidClient(`The client metadata document at ${new URL(clientId).host} cannot be used: ${describeFetchError(err)}.`);
    }
    if (fetched.ttlMs > 0) {
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(clientId, { metadata: fetched.metadata, expiresAt: this.now() + fetched.ttlMs });
    }
    return fetched.metadata;
  }
}
