import * as v from "valibot";

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

export type RateLimitInboundOptions = v.InferOutput<typeof RateLimitInboundOptionsSchema>;
