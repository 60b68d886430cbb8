import { timingSafeEqual } from "node:crypto";
import { problemResponse } from "../http/problem.ts";
import type { AdminSettings } from "./args.ts";

// The admin listener: a second socket, by default on loopback, that answers GET /metrics and nothing
// else. Kept off the gateway's own listener so that metrics are never reachable through whatever
// exposes the MCP routes (a tunnel, a public reverse proxy).

export interface AdminListener {
  readonly url: string;
  stop(): Promise<void>;
}

export interface Scrape {
  (): Promise<{ body: string; contentType: string }>;
}

const digest = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest();

/** Compares digests, so neither the token's length nor its prefix leaks through timing. */
function bearerMatches(header: string | null, expected: Buffer): boolean {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match !== null && match !== undefined && timingSafeEqual(digest(match[1]!), expected);
}

/** Binds the admin listener; throws what Bun.serve throws when the address is taken. */
export function startAdminListener(settings: AdminSettings, scrape: Scrape): AdminListener {
  const expected = settings.token === undefined ? undefined : digest(settings.token);
  const server = Bun.serve({
    hostname: settings.host,
    port: settings.port,
    async fetch(request) {
      const { pathname } = new URL(request.url);
      if (pathname !== "/metrics") return problemResponse(404, "The admin listener serves GET /metrics only.");
      if (request.method !== "GET" && request.method !== "HEAD") return problemResponse(405, "Use GET /metrics.", {}, { allow: "GET, HEAD" });
      if (expected && !bearerMatches(request.headers.get("authorization"), expected)) {
        // RFC 6750 §3: the challenge names the scheme; the token is MCPGW_ADMIN_TOKEN of the gateway's environment.
        return problemResponse(401, "GET /metrics needs Authorization: Bearer <MCPGW_ADMIN_TOKEN>.", {}, { "www-authenticate": 'Bearer realm="mcpgw-admin"' });
      }
      const { body, contentType } = await scrape();
      return new Response(request.method === "HEAD" ? null : body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
    },
  });
  const host = settings.host.includes(":") ? `[${settings.host}]` : settings.host;
  return { url: `http://${host}:${server.port}`, stop: () => server.stop(true) };
}
