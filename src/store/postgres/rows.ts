// PostgreSQL hands BIGINT columns (and count(*)) back as strings (an int8 may not fit a JS number); our
// times are epoch milliseconds, well inside 2^53, so the repositories turn them back into numbers here.
// BYTEA comes back as a Buffer: the repositories hand out plain Uint8Arrays, as SQLite's do.

export function ms(value: string | number): number {
  return Number(value);
}

export function msOrNull(value: string | number | null): number | null {
  return value === null ? null : Number(value);
}

export function bytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}
