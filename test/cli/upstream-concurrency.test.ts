import { describe, expect, it } from "bun:test";
import { upstreamConcurrencyExec } from "../../src/cli/upstream-concurrency.ts";

// The exec itself is proven on the compiled binary (test/release/binary.test.ts): >256 calls held open.
const compiled = (args: string[], env: Record<string, string | undefined> = { PATH: "/usr/bin" }) => ({
  argv: ["bun", "/$bunfs/root/mcpgw", ...args],
  argv0: "/usr/local/bin/mcpgw",
  execPath: "/usr/local/bin/mcpgw",
  env,
});

describe("re-executing with Bun's fetch limit raised", () => {
  it("re-executes a compiled `start` with the same arguments, every variable kept and the limit set to Bun's maximum", () => {
    expect(upstreamConcurrencyExec(compiled(["start", "--port", "9000"], { PATH: "/usr/bin", NOTIFY_SOCKET: "/run/systemd/notify", UNSET: undefined }))).toEqual({
      file: "/usr/local/bin/mcpgw",
      args: ["/usr/local/bin/mcpgw", "start", "--port", "9000"],
      env: { PATH: "/usr/bin", NOTIFY_SOCKET: "/run/systemd/notify", BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" },
    });
    expect(upstreamConcurrencyExec(compiled(["dev"]))?.args).toEqual(["/usr/local/bin/mcpgw", "dev"]);
  });

  it("does nothing once the variable is set, so it runs at most once, and keeps an operator's own value", () => {
    expect(upstreamConcurrencyExec(compiled(["start"], { BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" }))).toBeUndefined();
    expect(upstreamConcurrencyExec(compiled(["start"], { BUN_CONFIG_MAX_HTTP_REQUESTS: "64" }))).toBeUndefined();
  });

  it("leaves commands that open no upstream connections alone", () => {
    for (const args of [["--version"], ["validate"], ["init", "x"], []]) expect(upstreamConcurrencyExec(compiled(args))).toBeUndefined();
  });

  it("leaves source runs alone: their launchers (npx mcpgw, npm start) set the variable", () => {
    expect(upstreamConcurrencyExec({ argv: ["/usr/bin/bun", "/repo/src/cli/main.ts", "start"], argv0: "bun", execPath: "/usr/bin/bun", env: {} })).toBeUndefined();
  });
});
