import { definePolicy } from "./definition.ts";
import { registerCredential } from "./header-rules.ts";
import { SetUpstreamApiKeyOptions } from "../schemas/header-policies.ts";

// Zuplo's `set-upstream-api-key-inbound`: one credential header for an API-key upstream,
// typically `"value": "Bearer $env(UPSTREAM_API_KEY)"`.
export const setUpstreamApiKeyInbound = definePolicy({
  policyType: "set-upstream-api-key-inbound",
  optionsSchema: SetUpstreamApiKeyOptions,
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
