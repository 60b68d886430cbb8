import { StoreError } from "./errors.ts";

// A store that several gateways share has no data dir to keep the key in: every instance of the fleet
// gets the same 32 random bytes from its configuration instead (MCPGW_DATA_KEY, base64url; generate one
// with `openssl rand -base64 32 | tr '+/' '-_' | tr -d '='`). The key signs cookies and seals upstream
// tokens, so two instances with different keys would each reject what the other wrote, one request at a
// time; the store's key check (checkDataKey in sealed.ts, the same one the data dir's secret.key meets)
// refuses any other key at start instead.

export const FLEET_KEY_ENV = "MCPGW_DATA_KEY";

/** The fleet key from its configured text; a StoreError saying what to do when missing or malformed. */
export function parseFleetKey(text: string | undefined): Uint8Array {
  if (text === undefined || text.trim() === "") {
    throw new StoreError(
      "MCPGW_STORE_FLEET_KEY_MISSING",
      `A shared store needs the fleet's key in ${FLEET_KEY_ENV}.`,
      `Generate one once (openssl rand -base64 32 | tr '+/' '-_' | tr -d '=') and give every instance the same value, as a secret (docs/fleet.md#the-fleet-key).`,
    );
  }
  // 32 bytes are 43 base64 characters; plain base64 (+, /, one =) is accepted as well.
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    throw new StoreError("MCPGW_STORE_FLEET_KEY_INVALID", `${FLEET_KEY_ENV} is not 32 bytes of base64url (${trimmed.length} characters; 43 expected).`, "Use the value the other instances of the fleet use; a new fleet generates one with openssl rand -base64 32.");
  }
  return new Uint8Array(Buffer.from(trimmed.replace(/\+/g, "-").replace(/\//g, "_").replace(/=$/, ""), "base64url"));
}
