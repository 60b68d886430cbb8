import { definePolicy } from "./definition.ts";
import { registerCredential } from "./header-rules.ts";
import { isSecretKey } from "../log/redact.ts";
import { SetHeadersOptions } from "../schemas/header-policies.ts";

// Zuplo's `set-headers-inbound`: sets headers on the request sent upstream (e.g. a static API key via
// `Authorization: Bearer $env(KEY)`). Values are resolved at load; nothing is computed per request.
export const setHeadersInbound = definePolicy({
  policyType: "set-headers-inbound",
  optionsSchema: SetHeadersOptions,
  create(options, build) {
    const headers = options.headers;
    // A static credential (Authorization, X-API-Key, Cookie…) must never reach the log stream, whatever
    // the env variable it came from was called.
    for (const h of headers) if (isSecretKey(h.name)) registerCredential(build.services.secrets, h.value);
    return (ctx) => {
      for (const h of headers) {
        if (h.overwrite || !ctx.upstreamHeaders.has(h.name)) ctx.upstreamHeaders.set(h.name, h.value);
      }
      return undefined;
    };
  },
});
