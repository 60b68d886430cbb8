import * as v from "valibot";
import { definePolicy } from "./definition.ts";
import { registerCredential, SettableHeaderName } from "./header-rules.ts";

// Zuplo's `set-upstream-api-key-inbound`: one credential header for an API-key upstream,
// typically `"value": "Bearer $env(UPSTREAM_API_KEY)"`.
export const OptionsSchema = v.strictObject({
  header: v.optional(SettableHeaderName, "authorization"),
  value: v.pipe(v.string(), v.minLength(1, "the key must not be empty")),
  overwrite: v.optional(v.boolean(), true),
});

export const setUpstreamApiKeyInbound = definePolicy({
  policyType: "set-upstream-api-key-inbound",
  exportName: "SetUpstreamApiKeyInboundPolicy",
  family: "headers",
  optionsSchema: OptionsSchema,
  create(options, build) {
    const header = options.header;
    // The key is a credential whatever the variable was called: never let it reach the log stream.
    registerCredential(build.services.secrets, options.value);
    return (ctx) => {
      if (options.overwrite || !ctx.upstreamHeaders.has(header)) ctx.upstreamHeaders.set(header, options.value);
      return undefined;
    };
  },
});
