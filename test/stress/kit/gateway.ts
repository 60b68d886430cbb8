import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type RunningGateway } from "../../../src/cli/serve.ts";
import { rememberDevLoginKey } from "../../oauth/helpers.ts";

// The gateway the suite attacks: the real serve() in dev mode (dev-login gives real tokens without an
// IdP) on a loopback port, every log line kept so a case can look for what the gateway said.

export type LogEntry = Record<string, unknown> & { event?: string; level?: string };

export interface SuiteGateway extends RunningGateway {
  readonly dataDir: string;
  readonly logs: LogEntry[];
}

export async function startSuiteGateway(projectDir: string, options: { dataDir?: string; logLevel?: "info" | "warn" | "error" } = {}): Promise<SuiteGateway> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "mcpgw-data-"));
  const logs: LogEntry[] = [];
  const running = await serve(
    { projectDir, port: 0, host: "127.0.0.1", dataDir, logLevel: options.logLevel ?? "info", logFormat: "json" },
    "dev",
    {},
    { sink: { write: (line: string) => void logs.push(JSON.parse(line) as LogEntry) } },
  );
  rememberDevLoginKey(running);
  return Object.assign(running, { dataDir, logs });
}
