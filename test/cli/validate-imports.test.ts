import { describe, expect, it } from "bun:test";
import { join } from "node:path";

// `mcpgw validate` checks a project with config/ alone. The bundle of its entry is what it loads: it
// must hold the config loader and none of the proxy, the policies or the OAuth server. (The same rule
// is checked statically by `npm run lint:arch`.)

describe("mcpgw validate", () => {
  it("bundles the config loader and no proxy, policy or OAuth runtime", async () => {
    const built = await Bun.build({ entrypoints: [join(import.meta.dir, "../../src/cli/validate.ts")], target: "bun", minify: false });
    expect(built.success).toBe(true);
    const code = (await Promise.all(built.outputs.map((o) => o.text()))).join("\n");
    expect(code).toContain("function loadProject(");
    for (const runtime of ["function forwardToUpstream(", "function compileRoute(", "function mountOAuthServer(", "function createServices(", "function createMcpProxyHandler("]) {
      expect(code).not.toContain(runtime);
    }
  });
});
