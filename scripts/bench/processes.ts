import { closeSync, openSync, readFileSync } from "node:fs";
import type { Subprocess } from "bun";

// Every process the benchmark starts goes through here: output to a log file in the run's temp dir,
// "ready" when a line matching a pattern appears there, and a registry so that stopAll() (on normal
// exit, on error, on SIGINT/SIGTERM) stops every one of them: SIGTERM, then SIGKILL after a grace period.

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** The regex match of the ready line. */
  readonly ready: RegExpExecArray;
  readonly exited: Promise<number>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly cmd: readonly string[];
  readonly logFile: string;
  readonly ready: RegExp;
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

const running = new Set<{ stop(): Promise<void> }>();

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no output)";
  }
}

async function terminate(proc: Subprocess, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const killer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
  await proc.exited;
  clearTimeout(killer);
}

export async function spawnManaged(options: SpawnOptions): Promise<ManagedProcess> {
  const fd = openSync(options.logFile, "a");
  let proc: Subprocess;
  try {
    proc = Bun.spawn([...options.cmd], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdin: "ignore",
      stdout: fd,
      stderr: fd,
    });
  } finally {
    closeSync(fd);
  }
  const stop = async () => {
    await terminate(proc, 5_000);
    running.delete(managed);
  };
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let match: RegExpExecArray | null = null;
  while (!match) {
    match = options.ready.exec(readFileSync(options.logFile, "utf8"));
    if (match) break;
    if (proc.exitCode !== null || Date.now() > deadline) {
      const why = proc.exitCode !== null ? `exited with ${proc.exitCode}` : "did not become ready in time";
      await terminate(proc, 1_000);
      throw new Error(`${options.name} ${why}:\n${tail(options.logFile)}`);
    }
    await Bun.sleep(10);
  }
  const managed: ManagedProcess = { name: options.name, pid: proc.pid, logFile: options.logFile, ready: match, exited: proc.exited, stop };
  running.add(managed);
  return managed;
}

/** Registers a short-lived child (a wrk run, a start-up sample) so that stopAll() ends it too. */
export function trackChild(proc: Subprocess): () => void {
  const entry = { stop: () => terminate(proc, 1_000) };
  running.add(entry);
  return () => void running.delete(entry);
}

/** Stops every process still registered (in parallel: each has its own grace period). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** A port free right now on 127.0.0.1, for servers that cannot bind port 0 and report it (nginx). */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/** The path of an executable on PATH, or undefined. */
export function which(name: string): string | undefined {
  const found = Bun.which(name);
  return found ?? undefined;
}

/** A JSON "listening" line printed by the bench's own helper processes. */
export const LISTENING_LINE = /\{"event":"listening"[^\n]*"url":"([^"]+)"[^\n]*\}/;

/** For servers that print nothing when they are up: poll until `url` answers at all. */
export async function waitForPort(url: string, timeoutMs: number, name: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url, { method: "GET" }).then((r) => r.arrayBuffer());
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${name} is not answering on ${url}`);
      await Bun.sleep(20);
    }
  }
}
