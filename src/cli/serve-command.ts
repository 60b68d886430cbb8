import { StoreError } from "../store/open.ts";
import { parse, SERVE_HELP_OPTIONS, SERVE_OPTIONS, serveSettings } from "./args.ts";
import type { Out } from "./io.ts";
import { serve, StartupError, type RunningGateway } from "./serve.ts";
import { systemdNotifier } from "./systemd-notify.ts";

const DEV_HELP = `Usage: mcpgw dev [options]

Serve the Zuplo project on http://127.0.0.1:9000 with local defaults: the store in .mcpgw/ under the
project, /oauth/dev-login available on loopback, and a reload whenever zuplo.jsonc, config/*.json or
.env change. An invalid project keeps the previous config serving (or, at first start, serves only
the health endpoints, not ready, until it is fixed).

${SERVE_HELP_OPTIONS}`;

const START_HELP = `Usage: mcpgw start [options]

Serve the Zuplo project in production mode. Reloads the project on SIGHUP (a bad project is rejected
and the previous one keeps serving); on SIGTERM or SIGINT stops accepting connections and waits up to
30 s for in-flight requests. Exits 1 when the project is invalid at start.

${SERVE_HELP_OPTIONS}`;

export async function serveCommand(mode: "dev" | "start", argv: string[], io: Out): Promise<number> {
  const { values } = parse(argv, SERVE_OPTIONS);
  if (values.help) return io.out(mode === "dev" ? DEV_HELP : START_HELP), 0;
  const settings = serveSettings(values, process.env, mode === "dev" && process.stdout.isTTY === true);
  // Handlers go in before the server listens, so a signal sent the moment it is up is never lost.
  let gateway: RunningGateway | undefined;
  // systemd Type=notify (src/cli/systemd-notify.ts): a no-op unless $NOTIFY_SOCKET is set.
  const service = systemdNotifier(process.env, (err) => io.err(`mcpgw: ${err.message}`));
  const shutdown = () => {
    service.stopping("Draining in-flight requests.");
    return gateway ? void gateway.stop().then(() => process.exit(0)) : process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  process.on("SIGHUP", () => {
    if (!gateway) return;
    service.reloading("Reloading the project.");
    const reloaded = gateway.reload();
    service.ready(reloaded ? `Serving on ${gateway.url}; configuration reloaded.` : `Serving on ${gateway.url}; reload rejected, previous configuration kept (see the log).`);
  });
  try {
    gateway = await serve(settings, mode);
  } catch (err) {
    if (err instanceof StartupError || err instanceof StoreError) return 1;
    throw err;
  }
  service.ready(`Serving on ${gateway.url}.`);
  return new Promise<number>(() => {});
}

