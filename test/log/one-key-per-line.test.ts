import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { RunningGateway } from "../../src/cli/serve.ts";
import { createLogger } from "../../src/log/logger.ts";
import { checkedLogLines, duplicateKeys, logLineProblem, takeLogLineProblems } from "../helpers/log-lines.ts";
import { DEMO_PATH, mcpPost, obtainTokens, startGateway, writeOAuthProject } from "../oauth/helpers.ts";

// One key per log line, always. The check itself (test/helpers/log-lines.ts) runs on every line of every
// gateway the suite starts and fails the test that was running (test/preload.ts); here it is shown to
// catch what it must, on real logger output, and to pass the OAuth resource server's lines at `debug`,
// where mcp_auth_downstream_token_* once carried operationId twice.

describe("duplicateKeys", () => {
  it("finds a key repeated at the top level, in a nested object and in an object inside an array", () => {
    expect(duplicateKeys('{"a":1,"b":2,"a":3}')).toEqual(["a"]);
    expect(duplicateKeys('{"a":{"x":1,"x":2},"b":[{"y":1,"y":2},{"y":3}]}')).toEqual(["a.x", "b.[].y"]);
  });

  it("does not mistake values, escaped quotes or equal keys in sibling objects for duplicates", () => {
    expect(duplicateKeys('{"a":"a","b":"say \\"a\\":1","c":{"a":1},"d":[{"a":1},{"a":2}],"e":["a","a"]}')).toEqual([]);
  });

  it("compares keys as JSON decodes them", () => {
    expect(duplicateKeys('{"a":1,"\\u0061":2}')).toEqual(["a"]);
  });
});

describe("logLineProblem on the real logger", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", sink: { write: (line) => lines.push(line) } });

  it("reports a field that repeats a child logger's binding, on the fast path and through pino", () => {
    const child = log.child({ operationId: "op", requestId: "r1" });
    child.info("scalar_fields", "m", { operationId: "op" });
    child.info("object_fields", "m", { operationId: "op", policies: ["a"] });
    expect(lines.map(logLineProblem)).toEqual(["duplicate key(s) operationId", "duplicate key(s) operationId"]);
  });

  it("passes a line with unique keys and refuses a line that is not a JSON object", () => {
    expect(logLineProblem('{"level":"info","event":"x","msg":"m"}\n')).toBeUndefined();
    expect(logLineProblem("12:00:01 INFO  x  m")).toBe("not JSON");
    expect(logLineProblem("[1]")).toBe("not a JSON object");
  });
});

describe("the OAuth resource server at debug", () => {
  let gw: RunningGateway & { logs: Record<string, unknown>[] };
  beforeAll(async () => {
    gw = await startGateway(writeOAuthProject());
  });
  afterAll(async () => {
    await gw.stop();
  });

  it("writes every downstream-token event with one key per line", async () => {
    const before = checkedLogLines();
    const { tokens } = await obtainTokens(gw.url);
    await (await mcpPost(`${gw.url}${DEMO_PATH}`, undefined)).text();
    await (await mcpPost(`${gw.url}${DEMO_PATH}`, `at_${"Z".repeat(43)}`)).text();
    await (await mcpPost(`${gw.url}${DEMO_PATH}`, tokens.access_token)).text();
    const events = new Set(gw.logs.map((l) => l.event));
    for (const e of ["mcp_auth_downstream_token_rejected", "mcp_auth_downstream_token_validated", "mcp_request_rejected", "mcp_auth_consent_approved"]) expect(events).toContain(e);
    expect(checkedLogLines() - before).toBeGreaterThan(10);
    expect(takeLogLineProblems()).toEqual([]);
  });
});
