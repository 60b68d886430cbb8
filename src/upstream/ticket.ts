import { createHmac, timingSafeEqual } from "node:crypto";

// browserTicket (spec §D11): the signed, short-lived proof in a connect URL of who asked to connect
// which upstream for which route. HMAC-SHA256 under a key derived from the data-dir key, so nothing is
// stored per ticket; the connect endpoint still requires the browser's own session to be that person's
// (MCP URL elicitation: the link must not connect someone else's account). Never logged.

const TICKET_TTL_MS = 10 * 60_000;

export interface BrowserTicket {
  readonly subject: string;
  readonly upstreamId: string;
  readonly operationId: string;
  readonly expiresAt: number;
  /** The consent page's authorization request to return to after connecting. */
  readonly returnTo?: string;
  /** Minted by `mcpgw connections connect` (holding the data-dir key): no browser session is asked for. */
  readonly admin?: true;
}

/** The ticket key: HMAC(dataKey, label), so the data-dir key itself never signs anything public. */
export function ticketKey(dataKey: Uint8Array): Buffer {
  return createHmac("sha256", dataKey).update("mcpgw browserTicket v1").digest();
}

const mac = (key: Buffer, payload: string) => createHmac("sha256", key).update(payload).digest();

export function mintTicket(key: Buffer, ticket: Omit<BrowserTicket, "expiresAt">, now: number, ttlMs = TICKET_TTL_MS): string {
  const payload = Buffer.from(JSON.stringify({ ...ticket, expiresAt: now + ttlMs })).toString("base64url");
  return `bt_${payload}.${mac(key, payload).toString("base64url")}`;
}

/** The ticket when its signature holds and it has not expired; otherwise undefined. */
export function verifyTicket(key: Buffer, value: string, now: number): BrowserTicket | undefined {
  const m = /^bt_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return undefined;
  const expected = mac(key, m[1]!);
  const given = Buffer.from(m[2]!, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let ticket: BrowserTicket;
  try {
    ticket = JSON.parse(Buffer.from(m[1]!, "base64url").toString("utf8")) as BrowserTicket;
  } catch {
    return undefined;
  }
  if (typeof ticket.subject !== "string" || typeof ticket.upstreamId !== "string" || typeof ticket.expiresAt !== "number" || ticket.expiresAt <= now) return undefined;
  return ticket;
}
