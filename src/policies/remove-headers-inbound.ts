import { definePolicy } from "./definition.ts";
import { RemoveHeadersOptions } from "../schemas/header-policies.ts";

// Zuplo's `remove-headers-inbound`: drops headers from the request sent upstream.
export const removeHeadersInbound = definePolicy({
  policyType: "remove-headers-inbound",
  optionsSchema: RemoveHeadersOptions,
  create(options) {
    const names = options.headers.map((h) => h.toLowerCase());
    return (ctx) => {
      for (const name of names) ctx.upstreamHeaders.delete(name);
      return undefined;
    };
  },
});
