import { describe, expect, it } from "bun:test";
import { serveSettings, UsageError } from "../../src/cli/args.ts";

// The log format a serve command picks: `mcpgw dev` on a terminal is read by a person (pretty); anything
// else, a pipe, a file, systemd, is read by a program (JSON). A flag or MCPGW_LOG_FORMAT always wins.

describe("the log format", () => {
  const cases: [name: string, flags: Record<string, string>, env: Record<string, string>, interactive: boolean, format: string][] = [
    ["dev on a terminal", {}, {}, true, "pretty"],
    ["not on a terminal (or start)", {}, {}, false, "json"],
    ["--log-format json on a terminal", { "log-format": "json" }, {}, true, "json"],
    ["MCPGW_LOG_FORMAT=json on a terminal", {}, { MCPGW_LOG_FORMAT: "json" }, true, "json"],
    ["--log-format pretty in a pipe", { "log-format": "pretty" }, {}, false, "pretty"],
    ["the flag over the environment", { "log-format": "pretty" }, { MCPGW_LOG_FORMAT: "json" }, false, "pretty"],
  ];
  for (const [name, flags, env, interactive, format] of cases) {
    it(`is ${format} for ${name}`, () => {
      expect(serveSettings(flags, env, interactive).logFormat).toBe(format as "json" | "pretty");
    });
  }

  it("still refuses an unknown format", () => {
    expect(() => serveSettings({ "log-format": "xml" }, {}, true)).toThrow(UsageError);
  });
});
