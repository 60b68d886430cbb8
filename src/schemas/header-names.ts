import * as v from "valibot";

// RFC 9110 §5.1 token characters.
export const HeaderName = v.pipe(v.string(), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a valid HTTP header name"));

// Hop-by-hop and framing headers are the runtime's business (RFC 9110 §7.6.1); a policy setting them
// would corrupt the upstream request.
const RESERVED = new Set(["host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer"]);

export const SettableHeaderName = v.pipe(
  HeaderName,
  v.check((name) => !RESERVED.has(name.toLowerCase()), "is managed by the gateway and cannot be set by a policy"),
  v.transform((name) => name.toLowerCase()),
);
