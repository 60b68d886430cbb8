// What a schema's options mean, in words, next to the schema they describe. scripts/docs-reference.ts
// reads the schema for names, types, defaults and constraints and these for the prose, and writes
// docs/reference/; it refuses an option without a line here, or a line for an option that is gone.

export interface OptionDocs {
  /** One paragraph: what the policy, handler or file does. */
  readonly summary: string;
  /**
   * One entry per option, keyed by its path as the reference writes it: `gateway.accessTokenTtlSeconds`,
   * `headers[].name` (array items), `mtlsCertificates.<name>.certFile` (record entries).
   */
  readonly options: Readonly<Record<string, string>>;
}
