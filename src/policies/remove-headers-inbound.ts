import * as v from "valibot";
import { definePolicy } from "./definition.ts";
import { HeaderName } from "./header-rules.ts";

// Zuplo's `remove-headers-inbound`: drops headers from the request sent upstream.
export const OptionsSchema = v.strictObject({
  headers: v.pipe(v.array(HeaderName), v.minLength(1, "list at least one header")),
});

export const removeHeadersInbound = definePolicy({
  policyType: "remove-headers-inbound",
  exportName: "RemoveHeadersInboundPolicy",
  family: "headers",
  optionsSchema: OptionsSchema,
  create(options) {
    const names = options.headers.map((h) => h.toLowerCase());
    return (ctx) => {
      for (const name of names) ctx.upstreamHeaders.delete(name);
      return undefined;
    };
  },
});
