import { join } from "node:path";
import { checkLogLine } from "./log-lines.ts";
import { rememberDevLoginLink } from "../oauth/helpers.ts";

export const CLI = join(import.meta.dir, "../../src/cli/main.ts");
export const REPO = join(import.meta.dir, "../..");

export interface CliRun {
  readonly proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** Every stdout line so far. */
  readonly lines: string[];
  readonly stderr: () => string;
  /** Resolve with the first JSON log entry matching `pred` (already seen or future). */
  waitFor(pred: (entry: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The gateway URL from the gateway_listening event. */
  url(): Promise<string>;
  /** `mcpgw dev`'s dev-login start-up link, from its dev_login_link event. */
  devLoginUrl(): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** Spawn `bun src/cli/main.ts …` (or `command`, e.g. a compiled binary) as a user would run it, collecting its stdout log stream. */
export function spawnCli(args: string[], options: { cwd?: string; env?: Record<string, string>; command?: string[] } = {}): CliRun {
  const proc = Bun.spawn([...(options.command ?? [process.execPath, "--no-env-file", CLI]), ...args], {
    cwd: options.cwd ?? REPO,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...options.env },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const lines: string[] = [];
  const waiters: { pred: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];
  let stderrText = "";
  const parse = (l: string) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  (async () => {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of proc.stdout) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        // The JSON log stream, whose lines start with the level (not validate's reports).
        if (line.startsWith('{"level":')) checkLogLine(line, `mcpgw ${args.join(" ")}`);
        const entry = parse(line);
        if (!entry) continue;
        // A person opens `mcpgw dev`'s dev-login link once: the test Browsers then hold its key.
        if (entry.event === "dev_login_link" && typeof entry.url === "string") rememberDevLoginLink(entry.url);
        for (const w of [...waiters]) {
          if (w.pred(entry)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(entry);
          }
        }
      }
    }
  })();
  (async () => {
    for await (const chunk of proc.stderr) stderrText += new TextDecoder().decode(chunk);
  })();
  const waitFor = (pred: (e: Record<string, unknown>) => boolean, timeoutMs = 10_000) => {
    const seen = lines.map(parse).find((e) => e && pred(e));
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for a log entry; stdout so far:\n${lines.join("\n")}\nstderr:\n${stderrText}`)), timeoutMs);
      waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  };
  return {
    proc,
    lines,
    stderr: () => stderrText,
    waitFor,
    url: async () => String((await waitFor((e) => e.event === "gateway_listening")).url),
    /** `mcpgw dev`'s dev-login start-up link (the key a browser must hold). */
    devLoginUrl: async () => String((await waitFor((e) => e.event === "dev_login_link")).url),
    stop: async (signal = "SIGTERM") => {
      proc.kill(signal);
      return proc.exited;
    },
  };
}

/** Run the CLI to completion: exit code, stdout, stderr. */
export async function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; command?: string[] } = {}) {
  const run = spawnCli(args, options);
  const code = await run.proc.exited;
  await Bun.sleep(20);
  return { code, stdout: run.lines.join("\n"), stderr: run.stderr() };
}
