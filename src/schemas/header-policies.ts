import * as v from "valibot";
import { HeaderName, SettableHeaderName } from "./header-names.ts";

/** Zuplo's `set-headers-inbound`: headers set on the request sent upstream, resolved at load. */
export const SetHeadersOptions = v.strictObject({
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

/** Zuplo's `remove-headers-inbound`: headers dropped from the request sent upstream. */
export const RemoveHeadersOptions = v.strictObject({
  headers: v.pipe(v.array(HeaderName), v.minLength(1, "list at least one header")),
});

/** Zuplo's `set-upstream-api-key-inbound`: one credential header, typically `"Bearer $env(UPSTREAM_API_KEY)"`. */
export const SetUpstreamApiKeyOptions = v.strictObject({
  header: v.optional(SettableHeaderName, "authorization"),
  value: v.pipe(v.string(), v.minLength(1, "the key must not be empty")),
  overwrite: v.optional(v.boolean(), true),
});
