import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { startFuzzTarget, type FuzzTarget } from "./kit/target.ts";
import { runsInBody } from "./kit/recording-upstream.ts";
import { mcpBodiesOn } from "./properties/mcp-bodies.ts";
import { FUZZ_PROPERTIES } from "./properties/all.ts";
import type { FuzzOptions } from "./properties/property.ts";

// The seed-fixed part of the fuzz suite (issue 18): each property against the real gateway on
// loopback, a few dozen cases each. `npm run stress` runs the same properties with 10,000 cases or more.

const OPTIONS: FuzzOptions = { numRuns: 120, seed: 18, watchdogMs: 10_000, shrink: true };

let target: FuzzTarget;
beforeAll(async () => {
  target = await startFuzzTarget();
});
afterAll(async () => {
  await target.stop();
});

describe("fuzzing the gateway (seed 18)", () => {
  for (const property of FUZZ_PROPERTIES) {
    it(`${property.name}: no crash, no hang, no stack trace, errors in the protocol's shape, nothing hidden runs`, async () => {
      expect(await property.run(target, OPTIONS)).toBe(OPTIONS.numRuns);
      expect(target.gateway.logs.filter((l) => l.event === "request_failed")).toEqual([]);
    });
  }
});

describe("the suite can see what it looks for (controls)", () => {
  it("the recording upstream reads a hidden tool the way Go's encoding/json would", () => {
    expect(runsInBody('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","NAME":"secret_tool"}}')).toEqual([
      { method: "tools/call", target: "echo" },
      { method: "tools/call", target: "secret_tool" },
    ]);
    expect(runsInBody('{"method":"tools/list","Method":"tools/call","param\u017f":{"name":"secret_tool"}}')).toEqual([{ method: "tools/call", target: "secret_tool" }]);
    expect(runsInBody('[{"method":"prompts/get","params":{"name":"leak_prompt"}},{"method":"resources/read","params":{"uri":"test://secret"}}]')).toHaveLength(2);
  });

  it("the MCP property fails on a route without the capability filter", async () => {
    const before = target.upstream.runs.length;
    await expect(mcpBodiesOn(["unfiltered"]).run(target, { ...OPTIONS, shrink: false })).rejects.toThrow("the upstream ran hidden capabilities");
    expect(target.upstream.runs.length).toBeGreaterThan(before);
    target.upstream.runs.length = before;
  });
});
