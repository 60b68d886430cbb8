/** RFC 9457 problem+json response: what the gateway answers for non-JSON-RPC HTTP errors. */
export function problemResponse(status: number, detail: string, extra: Record<string, unknown> = {}, headers: HeadersInit = {}): Response {
  const body = JSON.stringify({ type: `https://httpproblems.com/http-status/${status}`, title: STATUS_TITLES[status] ?? "Error", status, detail, ...extra });
  const h = new Headers(headers);
  h.set("content-type", "application/problem+json");
  return new Response(body, { status, headers: h });
}

const STATUS_TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Content Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};
