/** The settings that decide the public origin (a subset of the mcpgw block of zuplo.jsonc). */
export interface OriginSettings {
  readonly publicOrigin?: string;
  readonly trustForwardedHeaders: boolean;
}

/**
 * The gateway's public origin for issuer and metadata URLs. X-Forwarded-* is honoured only when the
 * operator says a trusted proxy sets it (spec §1.7, T7): otherwise any client could choose our issuer.
 */
export function publicOrigin(request: Request, url: URL, settings: OriginSettings): string {
  if (settings.publicOrigin) return settings.publicOrigin;
  if (settings.trustForwardedHeaders) {
    const host = request.headers.get("x-forwarded-host")?.split(",")[0]?.trim();
    const proto = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
    if (host) return `${proto === "https" || proto === "http" ? proto : url.protocol.slice(0, -1)}://${host}`;
  }
  return url.origin;
}
