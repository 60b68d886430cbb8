import { describe, expect, it } from "bun:test";
import { runKillDuringIssuance } from "./kit/kill-durability.ts";

// Issue 18, durability: kill -9 of a gateway process during 1,000 concurrent refresh-token grants.
// The store passes integrity_check, and every token a client was answered 200 for works after a restart.

describe("kill -9 during token issuance", () => {
  it("loses no token a client was answered 200 for, and leaves an intact store", async () => {
    const result = await runKillDuringIssuance({ issuances: 1_000, say: console.log });
    expect(result.problems).toEqual([]);
    expect(result.integrity).toEqual({ afterKill: "ok", afterRestart: "ok" });
    // The kill came mid-way: some grants were answered, and not all of them.
    expect(result.answered).toBeGreaterThan(0);
    expect(result.answered).toBeLessThan(result.issuances);
    expect(result.lost).toBe(0);
  }, 120_000);
});
