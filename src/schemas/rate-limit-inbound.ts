import * as v from "valibot";
import type { OptionDocs } from "./option-docs.ts";

// Zuplo's `rate-limit-inbound` (RateLimitInboundPolicy) options, as its policy reference and
// docs/rate-limiting/how-it-works document them. `rateLimitBy: "function"` points at custom TypeScript
// (the `identifier` module), which mcpgw does not run: validate refuses it and says what to use.

const FUNCTION_REFUSED =
  'is "function", which runs a custom TypeScript module (options.identifier); mcpgw runs no custom code. Use "user" (per signed-in person), "ip" or "all", and stack several rate-limit-inbound policies for tiers';

export const RateLimitInboundOptionsSchema = v.strictObject({
  rateLimitBy: v.pipe(v.picklist(["ip", "user", "all", "function"], 'must be "ip", "user" or "all"'), v.check((by) => by !== "function", FUNCTION_REFUSED)),
  requestsAllowed: v.pipe(v.number(), v.integer(), v.minValue(1)),
  timeWindowMinutes: v.pipe(v.number(), v.minValue(1 / 60, "must be at least one second (1/60)"), v.maxValue(24 * 60 * 31, "must be at most 31 days")),
  /** Zuplo: where the `function` lives. Accepted so a project reads; refused with rateLimitBy above. */
  identifier: v.optional(v.looseObject({ export: v.optional(v.string()), module: v.optional(v.string()) })),
  /** "retry-after" (default) sends Retry-After in delay-seconds; "none" omits it. */
  headerMode: v.optional(v.picklist(["none", "retry-after"]), "retry-after"),
  /** Zuplo's global counter service can be checked asynchronously; the in-process counter is always exact, so both behave as "strict". */
  mode: v.optional(v.picklist(["strict", "async"]), "strict"),
  /** Zuplo: fail closed when the counter service is unreachable. The in-process counter cannot be. */
  throwOnFailure: v.optional(v.boolean(), false),
});

export const RateLimitInboundOptionsDocs: OptionDocs = {
  summary:
    "Zuplo's rate limiting: one counter per policy name and caller over a sliding window. A request past the limit is refused before the upstream is contacted: HTTP 429 with a JSON-RPC error `-32079` (`data.reasonCode` `rate_limited`, `data.retryAfterSeconds`) answering its id. The same policy on several routes shares each caller's budget across them; stack policies for a burst limit and a longer quota. Counters live in this process's memory. See [rate-limiting.md](../rate-limiting.md).",
  options: {
    rateLimitBy:
      "Whom a counter counts. `user`: each signed-in person (`sub`), which needs the MCP OAuth policy earlier in the chain (`MCPGW_CONFIG_RATE_LIMIT_WITHOUT_USER` otherwise). `ip`: each client address, the socket's peer or, with `mcpgw.trustForwardedHeaders`, the last `X-Forwarded-For` entry; IPv6 addresses count per /64. `all`: every caller together. `function` runs custom code, which mcpgw does not: it is refused.",
    requestsAllowed: "Requests a caller may make per window.",
    timeWindowMinutes: "The window, in minutes; fractions are allowed (`0.5` is 30 seconds).",
    identifier: "Zuplo's custom function for `rateLimitBy: \"function\"`. Accepted so that a Zuplo project reads; never used, since that mode is refused.",
    "identifier.export": "The function's export. Not used.",
    "identifier.module": "The function's module. Not used.",
    headerMode: "`retry-after` sends `Retry-After` (seconds) with the 429; `none` leaves the header out (the error's `data.retryAfterSeconds` still says it).",
    mode: "Accepted for Zuplo, where `async` checks its global counter without waiting. mcpgw always waits for the count (in memory, or one statement on a fleet's shared store), so both behave as `strict`.",
    throwOnFailure: "Whether to refuse requests (500) while a fleet's shared store cannot count them; `false` lets them through uncounted. In-memory counters (one process) cannot fail.",
  },
};

export type RateLimitInboundOptions = v.InferOutput<typeof RateLimitInboundOptionsSchema>;
