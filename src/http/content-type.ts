/**
 * Whether a Content-Type names JSON as MCP's Streamable HTTP sends it (`application/json`, any
 * parameters such as charset). A `text/plain` POST is what a web page can send cross-origin without a
 * CORS preflight (Fetch §"CORS-safelisted request-header"), so MCP routes accept nothing else.
 */
export function isJsonContentType(value: string | null): boolean {
  if (value === null) return false;
  const semicolon = value.indexOf(";");
  return (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase() === "application/json";
}
