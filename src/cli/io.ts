/** Where a command writes: stdout and stderr, or a test's collectors. */
export type Out = { out: (s: string) => void; err: (s: string) => void };
