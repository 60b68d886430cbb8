import { describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { homebrewFormula } from "../../scripts/homebrew-formula.ts";
import { RELEASE_TARGETS } from "../../scripts/compile.ts";
import { projectFiles } from "../../src/cli/project-template.ts";
import { REPO } from "../helpers/cli.ts";

// systemd-analyze (Debian's systemd) and ruby (Debian's ruby) are installed by .ci/run. Locally a missing
// one skips its tests with a warning; in CI (CI=true) a missing one fails them, so CI cannot pass vacuously.
function tool(name: string): boolean {
  const found = Bun.which(name) !== null;
  if (!found && process.env.CI === "true") throw new Error(`${name} is required in CI (.ci/run installs it)`);
  if (!found) console.warn(`\n!!! SKIPPING the ${name} checks: ${name} is not installed (apt-get install ${name === "ruby" ? "ruby" : "systemd"}); CI runs them.\n`);
  return found;
}

const UNIT = join(REPO, "packaging/systemd/mcpgw.service");

/** The unit with ExecStart's binary swapped for one that exists here: verify checks that it is executable. */
function unitCopy(edit: (text: string) => string = (t) => t): string {
  const dir = mkdtempSync(join(tmpdir(), "mcpgw-unit-"));
  const path = join(dir, "mcpgw.service");
  writeFileSync(path, edit(readFileSync(UNIT, "utf8").replace("ExecStart=/usr/local/bin/mcpgw", `ExecStart=${process.execPath}`)));
  return path;
}
const run = (cmd: string[]) => {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, output: (r.stdout.toString() + r.stderr.toString()).trim() };
};

describe("the systemd unit", () => {
  const settings = new Map<string, string[]>();
  for (const line of readFileSync(UNIT, "utf8").split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) settings.set(m[1]!, [...(settings.get(m[1]!) ?? []), m[2]!]);
  }
  const value = (key: string) => settings.get(key)?.join(" ");

  it("is a notify service reloaded with SIGHUP, with a dynamic user, a state directory and an optional environment file", () => {
    expect(value("Type")).toBe("notify");
    expect(value("ExecStart")).toBe("/usr/local/bin/mcpgw start --project /etc/mcpgw/project");
    expect(value("ExecReload")).toBe("/bin/kill -HUP $MAINPID");
    expect(value("DynamicUser")).toBe("yes");
    expect(value("StateDirectory")).toBe("mcpgw");
    expect(value("EnvironmentFile")).toBe("-/etc/mcpgw/mcpgw.env");
  });

  it("is hardened, without MemoryDenyWriteExecute (it turns Bun's JIT off, and bun:ffi with it)", () => {
    for (const [key, expected] of [
      ["ProtectSystem", "strict"],
      ["NoNewPrivileges", "yes"],
      ["PrivateTmp", "yes"],
      ["ProtectHome", "yes"],
      ["LockPersonality", "yes"],
      ["RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"],
      ["SystemCallFilter", "@system-service"],
    ]) expect([key, value(key!)]).toEqual([key, expected]);
    expect(settings.has("MemoryDenyWriteExecute")).toBe(false);
  });

  if (tool("systemd-analyze")) {
    it("passes systemd-analyze verify with no warning at all", () => {
      expect(run(["systemd-analyze", "verify", unitCopy()])).toEqual({ code: 0, output: "" });
    });

    it("would be caught by the check: verify reports a misspelled value", () => {
      const r = run(["systemd-analyze", "verify", unitCopy((t) => t.replace("Type=notify", "Type=notfy"))]);
      expect(r.output).toContain("Failed to parse service type");
    });

    it("has an exposure level of at most 2.0 in systemd-analyze security", () => {
      const r = run(["systemd-analyze", "security", "--offline=true", unitCopy()]);
      const level = Number(/Overall exposure level for mcpgw\.service: ([\d.]+)/.exec(r.output)?.[1]);
      expect(level).toBeLessThanOrEqual(2);
    });
  }
});

describe("the sample /etc/mcpgw", () => {
  it("holds exactly the project `mcpgw init` writes", () => {
    const root = join(REPO, "packaging/systemd/etc/mcpgw/project");
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [relative(root, join(dir, f))]));
    const files = projectFiles({ upstream: "mcpgw:demo" });
    expect(walk(root).sort()).toEqual(Object.keys(files).sort());
    for (const [file, text] of Object.entries(files)) expect([file, readFileSync(join(root, file), "utf8")]).toEqual([file, text]);
  });
});

describe("the Homebrew formula", () => {
  const stamp = { version: "1.2.3", commit: "0123456789ab", date: "2026-01-02T03:04:05Z" };
  const artifacts = RELEASE_TARGETS.map((target, i) => ({ target, file: `mcpgw-1.2.3-${target}`, sha256: String(i).repeat(64) }));
  const formula = homebrewFormula({ stamp, artifacts, baseUrl: "https://dl.example.com/mcpgw/v1.2.3/", homepage: "https://mcpgw.example.com" });

  it("needs a binary for every target", () => {
    expect(() => homebrewFormula({ stamp, artifacts: artifacts.slice(1), baseUrl: "https://x", homepage: "https://x" })).toThrow(/missing linux-x64/);
  });

  if (tool("ruby")) {
    const path = join(mkdtempSync(join(tmpdir(), "mcpgw-formula-")), "mcpgw.rb");
    writeFileSync(path, formula);

    it("is valid Ruby (ruby -c)", () => {
      expect(run(["ruby", "-c", path])).toEqual({ code: 0, output: "Syntax OK" });
    });

    it("declares each OS/CPU's binary with its sha256, a brew service running `mcpgw start`, and a test", () => {
      const r = run(["ruby", join(import.meta.dir, "formula-dsl-stub.rb"), path]);
      expect(r.code).toBe(0);
      const declared = JSON.parse(r.output) as Record<string, unknown>;
      expect(declared).toMatchObject({ superclass: "Formula", version: "1.2.3", license: "Apache-2.0", homepage: "https://mcpgw.example.com", test: true });
      expect(declared.methods).toEqual(["caveats", "install", "post_install"]);
      expect(declared.platforms).toEqual(
        Object.fromEntries(artifacts.map((a) => [a.target, { url: `https://dl.example.com/mcpgw/v1.2.3/${a.file}`, sha256: a.sha256 }])),
      );
      expect(declared.service).toEqual({
        run: ["/opt/homebrew/opt/mcpgw/bin/mcpgw", "start", "--project", "/opt/homebrew/etc/mcpgw/project", "--data-dir", "/opt/homebrew/var/mcpgw"],
        keep_alive: true,
        working_dir: "/opt/homebrew/var/mcpgw",
        log_path: "/opt/homebrew/var/log/mcpgw.log",
        error_log_path: "/opt/homebrew/var/log/mcpgw.log",
      });
    });
  }
});
