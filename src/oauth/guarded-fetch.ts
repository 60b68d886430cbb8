import { BodyTooLargeError, readBodyWithin } from "../http/body.ts";
import { OAuthError } from "./errors.ts";
import { checkedAddresses, fetchPinned, SsrfRefused, type Resolve } from "./ssrf.ts";

// Fetching a small JSON document a client names (its CIMD document, its JWKS) without letting the client
// aim the gateway at internal addresses: the SSRF guard checks every address the host resolves to, the
// connection goes to a checked address, no redirect is followed, and size and time are bounded. Failures
// are plain Errors whose message completes "…cannot be used: <message>".

const MIN_TTL_MS = 60_000;
const DEFAULT_TTL_MS = 5 * 60_000;
const MAX_TTL_MS = 24 * 60 * 60_000;

export interface GuardedFetchPolicy {
  readonly resolve: Resolve;
  /** The outbound fetch (the composition root's); global fetch when not given. */
  readonly fetch?: typeof fetch;
  /** Dev mode: loopback/private targets are allowed (a test server on 127.0.0.1). */
  readonly devMode: boolean;
}

export interface FetchedJson {
  readonly doc: unknown;
  readonly cacheControl: string | null;
}

/** Milliseconds a document may be cached for, clamped to [1 min, 24 h]; 0 when the server forbids caching. */
export function cacheLifetimeMs(cacheControl: string | null): number {
  if (!cacheControl) return DEFAULT_TTL_MS;
  const directives = cacheControl.toLowerCase().split(",").map((d) => d.trim());
  if (directives.some((d) => d === "no-store" || d === "no-cache")) return 0;
  const maxAge = directives.map((d) => /^max-age=(\d+)$/.exec(d)?.[1]).find((x) => x !== undefined);
  if (maxAge === undefined) return DEFAULT_TTL_MS;
  return Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, Number(maxAge) * 1000));
}

/** GET `url` through the SSRF guard: 200, application/json (or +json), at most `maxBytes`, within `timeoutMs`. */
export async function fetchJsonDocument(url: URL, policy: GuardedFetchPolicy, limits: { maxBytes: number; timeoutMs: number }): Promise<FetchedJson> {
  const addresses = await checkedAddresses(url.hostname, { resolve: policy.resolve, allowPrivate: policy.devMode });
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const response = await fetchPinned(policy.fetch ?? fetch, url, addresses, { redirect: "manual", signal, headers: { accept: "application/json" } }).catch((err: unknown) => {
    if (signal.aborted) throw err;
    throw new Error(`cannot connect: ${err instanceof Error ? err.message : String(err)}`);
  });
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
  const text = await readBodyWithin(response, limits.maxBytes).then((bytes) => new TextDecoder().decode(bytes)).catch((err: unknown) => {
    throw err instanceof BodyTooLargeError ? new Error(`the document is larger than ${limits.maxBytes} bytes`) : err;
  });
  try {
    return { doc: JSON.parse(text), cacheControl: response.headers.get("cache-control") };
  } catch {
    throw new Error("it is not valid JSON");
  }
}

/** Why a fetch failed, in words safe for an error page (no internal addresses in start mode). */
export function describeFetchError(err: unknown): string {
  if (err instanceof SsrfRefused) return "its host is not a public internet address";
  if (err instanceof OAuthError) return err.description;
  if (err instanceof Error && err.name === "TimeoutError") return "it did not answer in time";
  return err instanceof Error ? err.message : String(err);
}
