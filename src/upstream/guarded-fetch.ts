import { isIP } from "node:net";
import { unbracket } from "../http/host.ts";
import { checkedAddresses, fetchPinned, type Resolve } from "../oauth/ssrf.ts";

// The SSRF guard for upstream OAuth (spec §F16), adapted from the CIMD one (src/oauth/ssrf.ts): the
// operator configured the upstream, so its own host (and a configured protectedResourceMetadataUrl's)
// may be private and is reached as is; any other host the discovery leads to (the authorization server
// named in the upstream's metadata) must resolve to public addresses only, and is connected to at a
// checked address. No redirect is followed anywhere: a 3xx is an error naming it.

export interface GuardPolicy {
  readonly fetch: typeof fetch;
  readonly resolve: Resolve;
  /** Hosts (host:port-less names) the operator configured: reached without the address check. */
  readonly trustedHosts: ReadonlySet<string>;
  /** Dev mode: private addresses allowed everywhere (an authorization server on 127.0.0.1). */
  readonly allowPrivate: boolean;
  readonly timeoutMs: number;
}

export class RedirectRefused extends Error {
  override name = "RedirectRefused";
}

export type GuardedFetch = (url: string, init?: RequestInit) => Promise<Response>;

export function guardedFetch(policy: GuardPolicy): GuardedFetch {
  return async (input, init = {}) => {
    const url = new URL(input);
    const signal = init.signal ?? AbortSignal.timeout(policy.timeoutMs);
    const hostname = unbracket(url.hostname);
    let response: Response;
    if (policy.trustedHosts.has(hostname) || isIP(hostname) !== 0) {
      if (!policy.trustedHosts.has(hostname)) await checkedAddresses(hostname, { resolve: policy.resolve, allowPrivate: policy.allowPrivate });
      response = await policy.fetch(url, { ...init, redirect: "manual", signal });
    } else {
      const addresses = await checkedAddresses(hostname, { resolve: policy.resolve, allowPrivate: policy.allowPrivate });
      response = await fetchPinned(policy.fetch, url, addresses, { ...init, redirect: "manual", signal });
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new RedirectRefused(`${url.origin}${url.pathname} answered with a redirect (HTTP ${response.status}); redirects are not followed`);
    }
    return response;
  };
}
