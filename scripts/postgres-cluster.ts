import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

// A throwaway PostgreSQL for tests, the fleet demo and the benchmark: Debian's `postgresql` package,
// initdb into a temp dir, started by pg_ctl on a free loopback port with trust authentication and no
// durability (fsync off: nothing here outlives the run). initdb refuses to run as root, so as root the
// cluster belongs to the `postgres` user the package creates and every command runs through runuser.
// A detached watchdog stops the server and removes the dir once the starting process is gone, even
// when it was killed: `bun test` runs no exit handlers.

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust auth: no password). */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** A new empty database; its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (immediate shutdown) and removes its dir. */
  stop(): void;
}

/** The directory with initdb, pg_ctl and postgres: $MCPGW_PG_BIN, Debian's newest, or PATH's. */
export function postgresBinDir(env: Record<string, string | undefined> = process.env): string | undefined {
  const has = (dir: string) => ["initdb", "pg_ctl", "postgres"].every((b) => existsSync(join(dir, b)));
  if (env.MCPGW_PG_BIN) return has(env.MCPGW_PG_BIN) ? env.MCPGW_PG_BIN : undefined;
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (has(join(debian, v, "bin"))) return join(debian, v, "bin");
  }
  const onPath = Bun.which("pg_ctl");
  if (onPath) {
    const dir = dirname(realpathSync(onPath));
    if (has(dir)) return dir;
  }
  return undefined;
}

function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

export async function startPostgresCluster(binDir = postgresBinDir()): Promise<PostgresCluster> {
  if (!binDir) throw new Error("PostgreSQL binaries not found: apt-get install postgresql (or set MCPGW_PG_BIN to the directory with initdb and pg_ctl).");
  const dir = mkdtempSync(join(tmpdir(), "mcpgw-pg-"));
  const asRoot = process.getuid?.() === 0;
  const prefix = asRoot ? ["runuser", "-u", "postgres", "--"] : [];
  if (asRoot) {
    const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    if (id.status !== 0) throw new Error("Running as root, but there is no postgres user to own the test cluster (the postgresql package creates it).");
    chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  }
  const run = (cmd: string[], check = true) => {
    const [file, ...args] = [...prefix, ...cmd];
    const r = spawnSync(file!, args, { encoding: "utf8" });
    if (check && r.status !== 0) throw new Error(`${cmd.join(" ")} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  };
  const data = join(dir, "data");
  const pgCtl = join(binDir, "pg_ctl");
  try {
    run([join(binDir, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C"]);
    const port = freePort();
    const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    run([pgCtl, "-D", data, "-o", settings, "-l", join(dir, "server.log"), "-w", "-t", "60", "start"]);
    const stopCommand = [...prefix, pgCtl, "-D", data, "-m", "immediate", "stop"].join(" ");
    const watchdog = spawn("sh", ["-c", `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.5; done; ${stopCommand} >/dev/null 2>&1; rm -rf '${dir}'`], { detached: true, stdio: "ignore" });
    watchdog.unref();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    let created = 0;
    return {
      url,
      port,
      dir,
      async createDatabase(name = `mcpgw_${process.pid}_${++created}`) {
        const admin = new Bun.SQL(url, { max: 1 });
        try {
          await admin.unsafe(`CREATE DATABASE ${name}`);
        } finally {
          await admin.close();
        }
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      stop() {
        run([pgCtl, "-D", data, "-m", "immediate", "stop"], false);
        rmSync(dir, { recursive: true, force: true });
        watchdog.kill();
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
