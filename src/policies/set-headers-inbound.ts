import * as v from "valibot";
import { definePolicy } from "./definition.ts";
import { SettableHeaderName } from "./header-rules.ts";

// Zuplo's `set-headers-inbound`: sets headers on the request sent upstream (e.g. a static API key via
// `Authorization: Bearer $env(KEY)`). Values are resolved at load; nothing is computed per request.
export const OptionsSchema = v.strictObject({
  headers: v.pipe(
    v.array(
      v.strictObject({
        name: SettableHeaderName,
        value: v.string(),
        overwrite: v.optional(v.boolean(), true),
      }),
    ),
    v.minLength(1, "list at least one header"),
  ),
});

export const setHeadersInbound = definePolicy({
  policyType: "set-headers-inbound",
  exportName: "SetHeadersInboundPolicy",
  family: "headers",
  optionsSchema: OptionsSchema,
  create(options) {
    const headers = options.headers;
    return (ctx) => {
      for (const h of headers) {
        if (h.overwrite || !ctx.upstreamHeaders.has(h.name)) ctx.upstreamHeaders.set(h.name, h.value);
      }
      return undefined;
    };
  },
});
