import { connect } from "node:net";

export type ProbeResult = "connected" | "timeout" | "error";

/**
 * Whether a fresh TCP connection to host:port opens within `timeoutMs`. Bun's fetch has no connect
 * phase of its own to time (its `timeout` is a socket-idle timer that does not run while connecting),
 * so the proxy asks this only for a request that has waited connectTimeoutMs without a response:
 * "timeout" means the host is not accepting connections (a dead or firewalled upstream), whereas a
 * refused or reset probe says nothing the request itself will not report.
 */
export function probeConnect(hostname: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port });
    const finish = (result: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    socket.once("connect", () => finish("connected"));
    socket.once("error", () => finish("error"));
  });
}
