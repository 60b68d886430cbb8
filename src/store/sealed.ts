import { StoreError } from "./errors.ts";
import type { MetaRepository } from "./repositories.ts";

// Secrets the gateway must be able to read back (upstream tokens, upstream client secrets) are sealed with
// AES-256-GCM (WebCrypto) under the data-dir key. The associated data names what the box belongs to
// (e.g. the (subject, upstream) tuple), so a box moved to another row fails to open instead of handing
// one person's token to another. Layout: version byte (1) ‖ 12-byte IV ‖ ciphertext+tag.

const VERSION = 1;
const IV_BYTES = 12;
const encoder = new TextEncoder();

/** Thrown when a box does not open: another key, other associated data, or tampering. */
export class SealOpenError extends Error {
  override name = "SealOpenError";
}

/** The data-dir key as an AES-GCM key; imported once per process and reused. */
export class SealingKey {
  private key: Promise<CryptoKey> | undefined;

  constructor(private readonly raw: Uint8Array) {}

  private cryptoKey(): Promise<CryptoKey> {
    return (this.key ??= crypto.subtle.importKey("raw", new Uint8Array(this.raw), "AES-GCM", false, ["encrypt", "decrypt"]));
  }

  async seal(plaintext: string, associatedData: string): Promise<Uint8Array> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(associatedData) }, await this.cryptoKey(), encoder.encode(plaintext)));
    const out = new Uint8Array(1 + IV_BYTES + sealed.byteLength);
    out[0] = VERSION;
    out.set(iv, 1);
    out.set(sealed, 1 + IV_BYTES);
    return out;
  }

  async open(box: Uint8Array, associatedData: string): Promise<string> {
    if (box.byteLength < 1 + IV_BYTES + 16 || box[0] !== VERSION) throw new SealOpenError("not a sealed box of this gateway");
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: box.slice(1, 1 + IV_BYTES), additionalData: encoder.encode(associatedData) },
        await this.cryptoKey(),
        box.slice(1 + IV_BYTES),
      );
      return new TextDecoder().decode(plain);
    } catch {
      throw new SealOpenError("the box does not open with this key and associated data");
    }
  }
}

const KEY_CHECK = "data_key_check";
const KEY_CHECK_PLAINTEXT = "mcpgw data-dir key check";

/** Where this process got its key: the data dir's file, or MCPGW_DATA_KEY for the fleet sharing `location`. */
export type DataKeySource = { readonly kind: "file"; readonly path: string } | { readonly kind: "fleet"; readonly location: string };

/**
 * The store remembers a box sealed under the first key it met; a later start with another key (a
 * restored store without its secret.key, a second gateway with its own data dir pointed at a shared
 * database, a fleet instance given another MCPGW_DATA_KEY) fails here, before any person's connection
 * or cookie is found unreadable one request at a time.
 */
export async function checkDataKey(meta: MetaRepository, key: SealingKey, source: DataKeySource): Promise<void> {
  const fresh = Buffer.from(await key.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK)).toString("base64url");
  const stored = await meta.setIfAbsent(KEY_CHECK, fresh);
  if (stored === fresh) return;
  try {
    if ((await key.open(new Uint8Array(Buffer.from(stored, "base64url")), KEY_CHECK)) === KEY_CHECK_PLAINTEXT) return;
  } catch (err) {
    if (!(err instanceof SealOpenError)) throw err;
  }
  throw keyMismatch(source);
}

function keyMismatch(source: DataKeySource): StoreError {
  if (source.kind === "fleet") {
    return new StoreError(
      "MCPGW_STORE_FLEET_KEY_MISMATCH",
      `MCPGW_DATA_KEY is not the key the other instances using ${source.location} were started with: what they sealed and signed cannot be read here.`,
      `Give every instance the same MCPGW_DATA_KEY. A key that is really lost: clear the check (DELETE FROM gateway_meta WHERE key = '${KEY_CHECK}') and start every instance with the new key; people sign in and reconnect their upstreams again.`,
    );
  }
  return new StoreError(
    "MCPGW_STORE_SECRET_KEY_MISMATCH",
    `${source.path} is not the key this store was created with: the upstream connections in it cannot be decrypted.`,
    "Restore the original secret.key next to the store (from the same backup). To start over instead, move the data dir aside: people reconnect their upstreams.",
  );
}
