// PostgreSQL hands BIGINT columns back as strings (an int8 may not fit a JS number); our times are epoch
// milliseconds, well inside 2^53, so the repositories turn them back into numbers here.

export function ms(value: string | number): number {
  return Number(value);
}

export function msOrNull(value: string | number | null): number | null {
  return value === null ? null : Number(value);
}
