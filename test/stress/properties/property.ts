import fc from "fast-check";
import type { FuzzTarget } from "../kit/target.ts";

// One fuzz property of the suite: npm test runs each with a fixed seed and a few dozen cases, `npm run
// stress` with ten thousand or more. `run` returns how many cases it ran; a failing case throws with
// the request and the answer (fast-check adds the seed and path to replay it).

export interface FuzzOptions {
  readonly numRuns: number;
  readonly seed: number;
  /** How long one case may take before it counts as a hang (a watchdog, not a speed limit). */
  readonly watchdogMs: number;
  /** Shrink a failing case to a minimal one (slower; off in the long runs, which report the seed). */
  readonly shrink: boolean;
}

export interface FuzzProperty {
  readonly name: string;
  run(target: FuzzTarget, options: FuzzOptions): Promise<number>;
}

/** A small seeded PRNG (mulberry32): serialisation choices that replay with the case. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** fc.assert with the suite's options; a failure's report carries the case's own error message. */
export function checkProperty<T>(property: fc.IAsyncPropertyWithHooks<T>, options: FuzzOptions): Promise<void> {
  return fc.assert(property, { numRuns: options.numRuns, seed: options.seed, endOnFailure: !options.shrink, includeErrorInReport: true });
}
