// Bun's fetch() runs at most BUN_CONFIG_MAX_HTTP_REQUESTS upstream requests at once (default 256) and reads
// the variable once, when the runtime starts: setting process.env later has no effect, and Bun 1.4.5 has no
// flag, bunfig key or define for it (`--compile-exec-argv=--env-file=…` and BUN_OPTIONS are not applied to
// it in a compiled binary either; checked). So the compiled binary replaces itself once, before anything
// else runs, with the variable set: execve(2) keeps the PID (systemd's MAINPID, a supervisor's signals),
// stdio, the working directory and every other variable, and the exit code is the new image's own.
// This module imports nothing heavy: it runs before the gateway's modules are even loaded.

export const UPSTREAM_CONCURRENCY_ENV = "BUN_CONFIG_MAX_HTTP_REQUESTS";
/** Bun's maximum for the variable. */
export const RAISED_UPSTREAM_CONCURRENCY = "65535";

/** Only the serving commands open upstream connections; --version, validate and init start without the exec. */
const SERVING_COMMANDS = new Set(["dev", "start"]);

export interface LaunchedProcess {
  argv: readonly string[];
  argv0: string;
  execPath: string;
  env: Record<string, string | undefined>;
  execve?: (file: string, args: string[], env: Record<string, string>) => never;
}

/** The execve the compiled binary should make, or undefined when none is needed. Pure: see reexecForUpstreamConcurrency. */
export function upstreamConcurrencyExec(proc: LaunchedProcess): { file: string; args: string[]; env: Record<string, string> } | undefined {
  // A value the operator set, even a low one, is theirs to keep (serve.ts warns when it is low).
  if (proc.env[UPSTREAM_CONCURRENCY_ENV] !== undefined) return undefined;
  // process.argv of a compiled binary is ["bun", "/$bunfs/root/<name>", ...arguments]; from source it names a real file.
  if (!proc.argv[1]?.startsWith("/$bunfs/")) return undefined;
  const args = proc.argv.slice(2);
  if (!SERVING_COMMANDS.has(args[0] ?? "")) return undefined;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(proc.env)) if (value !== undefined) env[name] = value;
  env[UPSTREAM_CONCURRENCY_ENV] = RAISED_UPSTREAM_CONCURRENCY;
  return { file: proc.execPath, args: [proc.argv0, ...args], env };
}

/** Replace the process with itself and the variable set; returns only when no exec is needed or execve failed. */
export function reexecForUpstreamConcurrency(proc: LaunchedProcess = process): void {
  const exec = upstreamConcurrencyExec(proc);
  if (!exec || !proc.execve) return;
  try {
    proc.execve(exec.file, exec.args, exec.env);
  } catch {
    // The gateway still serves, with Bun's default; serve.ts logs upstream_concurrency_limited with the fix.
  }
}
