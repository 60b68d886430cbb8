import type { SecretRegistry } from "../log/redact.ts";

/** Keep a static credential out of the log stream: the value, and the token after an auth scheme. */
export function registerCredential(secrets: SecretRegistry, value: string): void {
  secrets.add(value);
  secrets.add(value.replace(/^(Bearer|Basic)\s+/i, ""));
}
