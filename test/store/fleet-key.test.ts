import { describe, expect, it } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StoreError } from "../../src/store/errors.ts";
import { parseFleetKey } from "../../src/store/fleet-key.ts";
import { checkDataKey, SealingKey } from "../../src/store/sealed.ts";
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

  it("is checked by the store like a data dir's key, with the fleet's message and hint", async () => {
    const store = openSqliteStore(mkdtempSync(join(tmpdir(), "mcpgw-fleet-key-")));
    const fleet = { kind: "fleet", location: "postgres://gw:***@db/mcpgw" } as const;
    try {
      const first = bytes();
      await checkDataKey(store.meta, new SealingKey(first), fleet);
      await checkDataKey(store.meta, new SealingKey(first), fleet);
      const refused = await checkDataKey(store.meta, new SealingKey(bytes()), fleet).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(StoreError);
      expect((refused as StoreError).code).toBe("MCPGW_STORE_FLEET_KEY_MISMATCH");
      expect((refused as StoreError).message).toContain("MCPGW_DATA_KEY");
      expect((refused as StoreError).message).toContain("postgres://gw:***@db/mcpgw");
      expect((refused as StoreError).hint).toContain("same MCPGW_DATA_KEY");
      // The same check refuses a data dir's wrong secret.key, saying so.
      const file = await checkDataKey(store.meta, new SealingKey(bytes()), { kind: "file", path: "/data/secret.key" }).catch((err: unknown) => err);
      expect((file as StoreError).code).toBe("MCPGW_STORE_SECRET_KEY_MISMATCH");
      expect((file as StoreError).message).toContain("/data/secret.key");
      // Only a box sealed under the key is stored, never the key.
      const stored = (await store.meta.get("data_key_check"))!;
      expect(stored).not.toContain(Buffer.from(first).toString("base64url"));
    } finally {
      await store.close();
    }
  });
});
