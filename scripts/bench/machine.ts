import { readFileSync } from "node:fs";
import { availableParallelism, release } from "node:os";
import { table } from "./report.ts";

// What the numbers were measured on: they mean little without it.

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly versions: Readonly<Record<string, string>>;
}

function firstLine(cmd: string[]): string {
  try {
    const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
    return `${r.stdout.toString()}\n${r.stderr.toString()}`.trim().split("\n")[0]!.trim();
  } catch {
    return "not installed";
  }
}

/** The commit mcpgw was built from, and whether src/ had uncommitted changes on top of it. */
export function sourceRevision(root: string): string {
  const git = (...args: string[]) => Bun.spawnSync(["git", "-C", root, ...args], { stdout: "pipe", stderr: "ignore" });
  const head = git("rev-parse", "--short", "HEAD");
  if (head.exitCode !== 0) return "unknown (not a git checkout)";
  const dirty = git("status", "--porcelain", "--", "src").stdout.toString().trim() !== "";
  return `${head.stdout.toString().trim()}${dirty ? " + uncommitted changes in src/" : ""}`;
}

/** The 1-minute load average: other work on the machine shows up here. */
export function loadAverage(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

export function machineInfo(extra: Record<string, string> = {}): MachineInfo {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const meminfo = readFileSync("/proc/meminfo", "utf8");
  return {
    cpus: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    memoryGiB: Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0) / 1024 / 1024,
    kernel: release(),
    versions: {
      bun: Bun.version,
      nginx: firstLine(["nginx", "-v"]).replace(/^nginx version:\s*/, ""),
      wrk: firstLine(["wrk", "-v"]).replace(/\s+Copyright.*$/, ""),
      node: firstLine(["node", "--version"]),
      ...extra,
    },
  };
}

export function machineMarkdown(m: MachineInfo): string {
  return [
    table(
      ["what", "value"],
      [
        ["CPUs (nproc)", String(m.cpus)],
        ["CPU model", m.cpuModel],
        ["memory", `${m.memoryGiB.toFixed(1)} GiB`],
        ["kernel", m.kernel],
        ...Object.entries(m.versions).map(([k, v]) => [k, v]),
      ],
    ),
    "",
  ].join("\n");
}
