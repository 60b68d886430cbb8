import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { freePort, spawnManaged, waitForPort, which, type ManagedProcess } from "./processes.ts";

// nginx as a plain reverse proxy: the minimal-proxy limit. One worker, HTTP/1.1 with a keepalive pool
// to the upstream, an access log like any deployment, and every path (pid, logs, temp files) inside
// the run's own directory, so it needs nothing from /etc/nginx or /var and runs in the foreground.

export interface NginxConfigInput {
  readonly prefixDir: string;
  readonly listenPort: number;
  /** host:port of the upstream. */
  readonly upstream: string;
}

/**
 * A whole nginx.conf around `http` (the http block's own directives: upstreams, servers): one worker,
 * and every path (pid, logs, temp files) under `prefixDir`, so nginx needs nothing from /etc/nginx or
 * /var. `accessLogFormat` names a log_format written before the access log.
 */
export function nginxConfigAround(prefixDir: string, http: string, options: { workerConnections?: number; accessLogFormat?: { name: string; format: string } } = {}): string {
  const p = (name: string) => join(prefixDir, name);
  const format = options.accessLogFormat;
  return `worker_processes 1;
pid ${p("nginx.pid")};
error_log ${p("error.log")} warn;
events { worker_connections ${options.workerConnections ?? 4096}; }
http {
${format ? `  log_format ${format.name} '${format.format}';\n` : ""}  access_log ${p("access.log")}${format ? ` ${format.name}` : ""};
  client_body_temp_path ${p("tmp/client_body")};
  proxy_temp_path ${p("tmp/proxy")};
  fastcgi_temp_path ${p("tmp/fastcgi")};
  uwsgi_temp_path ${p("tmp/uwsgi")};
  scgi_temp_path ${p("tmp/scgi")};
${http}}
`;
}

export function nginxConfig({ prefixDir, listenPort, upstream }: NginxConfigInput): string {
  return nginxConfigAround(
    prefixDir,
    `  upstream mcp_upstream {
    server ${upstream};
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://mcp_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
`,
  );
}

export function nginxBinary(): string | undefined {
  return which("nginx") ?? (Bun.file("/usr/sbin/nginx").size > 0 ? "/usr/sbin/nginx" : undefined);
}

/** Starts nginx in front of `upstreamUrl`; the returned URL has the upstream's path. */
export async function startNginx(binary: string, upstreamUrl: string, dir: string): Promise<{ process: ManagedProcess; url: string }> {
  const prefixDir = join(dir, "nginx");
  // The worker may run as an unprivileged user when we are root: let it write its temp files.
  mkdirSync(join(prefixDir, "tmp"), { recursive: true, mode: 0o777 });
  const upstream = new URL(upstreamUrl);
  const listenPort = freePort();
  await Bun.write(join(prefixDir, "nginx.conf"), nginxConfig({ prefixDir, listenPort, upstream: upstream.host }));
  // `-e` moves the error log before the config is read, so /var/log/nginx is never touched.
  const proc = await spawnManaged({
    name: "nginx",
    cmd: [binary, "-p", prefixDir, "-c", "nginx.conf", "-e", join(prefixDir, "error.log"), "-g", "daemon off;"],
    logFile: join(dir, "nginx.out.log"),
    ready: /^/,
  });
  const url = `http://127.0.0.1:${listenPort}${upstream.pathname}`;
  // nginx prints nothing when it is up.
  await waitForPort(url, 5_000, proc.name);
  return { process: proc, url };
}
