import { expect, test } from "bun:test";
import { join } from "node:path";

// scripts/bench/hot-path.ts is a measuring tool, not part of npm test; this short run keeps it from
// rotting: it must bring up both gateway profiles (the OAuth one through the real token flow), answer
// every request with 200 (it throws otherwise) and print a figure per method and profile.

test("hot-path.ts runs and reports µs per request for the hono proxy and both gateway profiles", async () => {
  const proc = Bun.spawn([process.execPath, "--no-env-file", join(import.meta.dir, "../../scripts/bench/hot-path.ts"), "200"], {
    env: { ...process.env, HOT_PATH_ROUNDS: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(err).not.toContain("error");
  expect(proc.exitCode).toBe(0);
  const lines = out.trim().split("\n");
  expect(lines).toHaveLength(2);
  for (const [i, method] of ["tools/call", "tools/list"].entries()) {
    expect(lines[i]).toMatch(new RegExp(`^${method} round 1: hono [0-9.]+ µs · mcpgw plain [0-9.]+ µs \\([+-][0-9.]+\\) · mcpgw oauth-filter [0-9.]+ µs \\([+-][0-9.]+\\)$`));
  }
}, 30_000);
