import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "./errors.ts";

export const SECRET_KEY_FILE = "secret.key";

/**
 * The gateway's master key (32 random bytes, base64url, mode 0600) in the data dir: it encrypts upstream
 * tokens at rest and signs cookies. Generated once; losing it invalidates those, never the SQLite file.
 */
export function loadOrCreateSecretKey(dataDir: string): Uint8Array {
  const path = join(dataDir, SECRET_KEY_FILE);
  if (!existsSync(path)) {
    const key = crypto.getRandomValues(new Uint8Array(32));
    writeFileSync(path, Buffer.from(key).toString("base64url") + "\n", { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600);
    return key;
  }
  return readKeyFile(path);
}

/** The data dir's key without creating one (`mcpgw doctor`): undefined when there is none yet. */
export function readSecretKey(dataDir: string): Uint8Array | undefined {
  const path = join(dataDir, SECRET_KEY_FILE);
  return existsSync(path) ? readKeyFile(path) : undefined;
}

function readKeyFile(path: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new StoreError("MCPGW_STORE_SECRET_KEY_UNREADABLE", `${path} cannot be read: ${(err as Error).message}.`, "Give the gateway's user read access to it (mode 0600, owned by that user).", { cause: err });
  }
  const key = new Uint8Array(Buffer.from(text, "base64url"));
  if (key.byteLength !== 32) {
    throw new StoreError("MCPGW_STORE_SECRET_KEY_INVALID", `${path} does not hold a 32-byte key.`, "Restore the original key file; a new key would make stored upstream tokens unreadable.");
  }
  return key;
}
