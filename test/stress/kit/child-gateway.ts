import { spawnCli, type CliRun } from "../../helpers/cli.ts";

// A gateway as a separate process (`bun src/cli/main.ts dev`), for what must happen to a process:
// SIGKILL, restart on the same port and data dir, /proc readings. Logs at warn: the child's stdout is
// collected by the parent, and a load run would otherwise write a line per request.

/** A port the kernel just handed out and took back: the gateway takes it, and takes it again after a restart. */
export function freePort(): number {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

export function startGatewayProcess(project: string, dataDir: string, port: number): CliRun {
  return spawnCli(["dev", "--project", project, "--data-dir", dataDir, "--port", String(port), "--log-level", "warn"], { env: { BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" } });
}

/** The child's origin once its readiness probe answers 200. */
export async function whenReady(run: CliRun, port: number): Promise<string> {
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/__mcpgw/health/ready`)).status === 200) return url;
    } catch {
      // Not listening yet.
    }
    if (run.proc.exitCode !== null) throw new Error(`the gateway exited with ${run.proc.exitCode}: ${run.stderr()}${run.lines.join("\n")}`);
    await Bun.sleep(50);
  }
  throw new Error(`the gateway did not become ready on ${url}`);
}
