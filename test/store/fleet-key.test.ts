import { describe, expect, it } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StoreError } from "../../src/store/errors.ts";
import { checkFleetKey, parseFleetKey } from "../../src/store/fleet-key.ts";
import { openSqliteStore } from "../../src/store/sqlite/open.ts";

const bytes = () => crypto.getRandomValues(new Uint8Array(32));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return (err as StoreError).code;
  }
}

describe("the fleet key", () => {
  it("reads 32 bytes written as base64url or as plain base64", () => {
    const key = bytes();
    expect(Buffer.from(parseFleetKey(Buffer.from(key).toString("base64url"))).equals(Buffer.from(key))).toBe(true);
    expect(Buffer.from(parseFleetKey(` ${Buffer.from(key).toString("base64")}\n`)).equals(Buffer.from(key))).toBe(true);
  });

  it("refuses a missing, short or long key with a code that says which", () => {
    expect(codeOf(() => parseFleetKey(undefined))).toBe("MCPGW_STORE_FLEET_KEY_MISSING");
    expect(codeOf(() => parseFleetKey("  "))).toBe("MCPGW_STORE_FLEET_KEY_MISSING");
    expect(codeOf(() => parseFleetKey(Buffer.from(bytes().slice(0, 16)).toString("base64url")))).toBe("MCPGW_STORE_FLEET_KEY_INVALID");
    expect(codeOf(() => parseFleetKey(Buffer.from(new Uint8Array(48)).toString("base64url")))).toBe("MCPGW_STORE_FLEET_KEY_INVALID");
  });

  it("is remembered by the store on first use, and another key is refused afterwards", async () => {
    const store = openSqliteStore(mkdtempSync(join(tmpdir(), "mcpgw-fleet-key-")));
    try {
      const first = bytes();
      await checkFleetKey(store.meta, first, "test store");
      await checkFleetKey(store.meta, first, "test store");
      const refused = await checkFleetKey(store.meta, bytes(), "test store").catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(StoreError);
      expect((refused as StoreError).code).toBe("MCPGW_STORE_FLEET_KEY_MISMATCH");
      // Only a check value is stored, never the key.
      const stored = (await store.meta.get("fleet_key_check"))!;
      expect(stored).not.toContain(Buffer.from(first).toString("base64url"));
    } finally {
      await store.close();
    }
  });
});
