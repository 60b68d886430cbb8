import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nginxBinary, nginxConfigAround } from "../../scripts/bench/nginx.ts";
import { freePort } from "../../scripts/bench/processes.ts";

// An https origin for a gateway on loopback, as a deployment has one: Debian's nginx terminating TLS
// with a certificate from a CA made by openssl for this run, proxying to the gateway's plain-http
// listener. nginx passes the Host header through and adds no X-Forwarded-* header (the gateway knows its
// origin from mcpgw.publicOrigin; dev-login refuses relayed requests). Everything nginx writes stays in
// the run's own directory.

export interface TestCa {
  readonly dir: string;
  /** The CA certificate (PEM): what a client trusts to reach the front. */
  readonly ca: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1 and localhost, signed by it. */
export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "mcpgw-tls-front-"));
  const openssl = (...args: string[]) => {
    const run = Bun.spawnSync(["openssl", ...args], { cwd: dir, stderr: "pipe" });
    if (run.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${run.stderr.toString()}`);
  };
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=mcpgw-test-ca");
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "front.key", "-out", "front.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(join(dir, "front.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  openssl("x509", "-req", "-in", "front.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "front.crt", "-days", "1", "-extfile", "front.ext");
  return { dir, ca: readFileSync(join(dir, "ca.crt"), "utf8"), certFile: join(dir, "front.crt"), keyFile: join(dir, "front.key") };
}

export interface TlsFront {
  /** https://127.0.0.1:PORT */
  readonly origin: string;
  /** nginx's access log: one line per request it relayed. */
  accessLog(): string;
  stop(): Promise<void>;
}

/** A free loopback port for the front, chosen before the gateway's project (its publicOrigin) is written. */
export function frontPort(): number {
  return freePort();
}

/** nginx on 127.0.0.1:`port` (TLS, `ca`'s certificate) in front of the plain-http `backendUrl`. */
export async function startTlsFront(ca: TestCa, port: number, backendUrl: string): Promise<TlsFront> {
  const binary = nginxBinary();
  if (!binary) throw new Error("nginx is not installed (apt-get install nginx); the CIMD test needs an https front");
  const prefix = join(ca.dir, "nginx");
  // The worker may run as an unprivileged user when we are root: let it write its temp files.
  mkdirSync(join(prefix, "tmp"), { recursive: true, mode: 0o777 });
  const p = (name: string) => join(prefix, name);
  writeFileSync(
    p("nginx.conf"),
    nginxConfigAround(
      prefix,
      `  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${ca.certFile};
    ssl_certificate_key ${ca.keyFile};
    location / {
      proxy_pass http://${new URL(backendUrl).host};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
`,
      { workerConnections: 256 },
    ),
  );
  const proc = Bun.spawn([binary, "-p", prefix, "-c", "nginx.conf", "-e", p("error.log"), "-g", "daemon off;"], { stdout: "ignore", stderr: "pipe" });
  const origin = `https://127.0.0.1:${port}`;
  // nginx prints nothing when it is up: wait until the origin answers over TLS with the test CA.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await fetch(`${origin}/__mcpgw/health/live`, { tls: { ca: ca.ca } }).then((r) => r.arrayBuffer());
      break;
    } catch (err) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill();
        throw new Error(`nginx did not start on ${origin}: ${(err as Error).message}; ${readFileSync(p("error.log"), "utf8").slice(-500)}`);
      }
      await Bun.sleep(25);
    }
  }
  return {
    origin,
    accessLog: () => readFileSync(p("access.log"), "utf8"),
    stop: async () => {
      proc.kill("SIGQUIT");
      await proc.exited;
    },
  };
}
