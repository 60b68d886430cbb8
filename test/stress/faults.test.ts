import { describe, expect, it } from "bun:test";
import { runFaultStorm, STORM_LIMITS } from "./kit/fault-storm.ts";

// Issue 18, faults: 1,000 upstream faults of every kind through the real gateway. Each comes back as a
// JSON-RPC error for its id within requestTimeoutMs (plus a watchdog's slack); the gateway's open fds
// and RSS end where they began (bounds in kit/fault-storm.ts); a second route answers throughout.

describe("a storm of upstream faults", () => {
  it("answers each of 1,000 faults with a JSON-RPC error, leaks no fds or memory, and keeps other routes serving", async () => {
    const result = await runFaultStorm({ faults: 1_000 });
    expect(result.problems).toEqual([]);
    expect(result.survived).toBe(1_000);
    expect(result.secondRoute.calls).toBeGreaterThan(0);
    // Reported, not a speed assertion: the watchdog already bounds each fault.
    console.log(`faults: slowest ${result.slowestMs} ms of requestTimeoutMs ${STORM_LIMITS.requestTimeoutMs}; fds ${result.fds.before}→${result.fds.after}; RSS ${result.rssMb.before}→${result.rssMb.after} MB; second route ${result.secondRoute.ok}/${result.secondRoute.calls}`);
  }, 60_000);
});
