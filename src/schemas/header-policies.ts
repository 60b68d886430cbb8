import * as v from "valibot";
import { HeaderName, SettableHeaderName } from "./header-names.ts";
import type { OptionDocs } from "./option-docs.ts";

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

const MANAGED = "Header names are case-insensitive (sent lower-case); `host`, `content-length`, `transfer-encoding`, `connection`, `keep-alive`, `upgrade`, `te` and `trailer` are the gateway's and are refused.";

export const SetHeadersDocs: OptionDocs = {
  summary:
    "Sets headers on the request sent upstream, e.g. a tenant header or a static credential. Values are resolved when the project loads (`$env(…)`); a value whose header name carries a credential (`authorization`, `x-api-key`, `cookie`, …) is masked in every log line.",
  options: {
    headers: "The headers to set, in order.",
    "headers[].name": `The header's name. ${MANAGED}`,
    "headers[].value": "The header's value.",
    "headers[].overwrite": "Replace a value the header already has (from the client's allow-listed headers or an earlier policy); `false` keeps it.",
  },
};

export const RemoveHeadersDocs: OptionDocs = {
  summary:
    "Drops headers from the request sent upstream, including those forwarded by `forwardRequestHeaders` and those an earlier policy set. The client's `Authorization` never reaches an upstream anyway (see [proxy.md](../proxy.md#headers)).",
  options: {
    headers: "Names of the headers to drop (case-insensitive).",
  },
};

export const SetUpstreamApiKeyDocs: OptionDocs = {
  summary:
    "Gives the upstream one credential header, typically `{ \"value\": \"Bearer $env(UPSTREAM_API_KEY)\" }`. The value (and the token after `Bearer `/`Basic `) is masked in every log line, whatever the variable is called.",
  options: {
    header: `The header that carries the key, e.g. \`x-api-key\`. ${MANAGED}`,
    value: "The credential, usually from the environment: `\"Bearer $env(UPSTREAM_API_KEY)\"`.",
    overwrite: "Replace a value an earlier policy set; `false` keeps it.",
  },
};
