import { readdirSync, readFileSync } from "node:fs";

// What a process costs, read from /proc (Linux only): CPU time (utime+stime), resident memory, open
// file descriptors and the fd limit. A server may be several processes (nginx: master + worker), so
// readings sum over the process and its descendants. Parsers are pure; readers are thin wrappers.

export interface ProcSample {
  /** utime + stime of the process tree, in microseconds. */
  readonly cpuMicros: number;
  /** VmRSS of the process tree, in KiB. */
  readonly rssKb: number;
}

/** utime and stime (fields 14 and 15 of proc(5)), in clock ticks. comm may contain spaces and parentheses. */
export function parseStatTicks(stat: string): { utime: number; stime: number } {
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  return { utime: Number(rest[11]), stime: Number(rest[12]) };
}

export function parseVmRssKb(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) : 0;
}

/** The soft and hard "Max open files" of /proc/PID/limits. */
export function parseOpenFileLimit(limits: string): { soft: number; hard: number } {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  const num = (s: string | undefined) => (s === undefined || s === "unlimited" ? Number.POSITIVE_INFINITY : Number(s));
  return { soft: num(m?.[1]), hard: num(m?.[2]) };
}

let clockTicks: number | undefined;

/** sysconf(_SC_CLK_TCK); 100 on every Linux this runs on, asked once to be sure. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim();
    clockTicks = Number(out) > 0 ? Number(out) : 100;
  }
  return clockTicks;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return fallback;
  }
}

/** The process and every descendant alive now (via /proc/PID/task/TID/children). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    out.push(p);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      for (const child of readOr(`/proc/${p}/task/${tid}/children`, "").split(" ").filter(Boolean)) visit(Number(child));
    }
  };
  visit(pid);
  return out;
}

export function sampleProcess(pid: number): ProcSample {
  let ticks = 0;
  let rssKb = 0;
  for (const p of processTree(pid)) {
    const stat = readOr(`/proc/${p}/stat`, "");
    if (stat) {
      const t = parseStatTicks(stat);
      ticks += t.utime + t.stime;
    }
    rssKb += parseVmRssKb(readOr(`/proc/${p}/status`, ""));
  }
  return { cpuMicros: (ticks * 1_000_000) / ticksPerSecond(), rssKb };
}

export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

export function openFileLimit(pid: number | "self"): { soft: number; hard: number } {
  return parseOpenFileLimit(readOr(`/proc/${pid}/limits`, ""));
}
