// sd_notify(3) for `Type=notify` units: one AF_UNIX datagram per state change to $NOTIFY_SOCKET.
// Neither Node nor Bun can send a unix datagram (node:dgram is UDP only), so this calls libc through
// bun:ffi: socket(2), sendto(2), close(2) and clock_gettime(2). Linux only, like systemd; without
// $NOTIFY_SOCKET (not under systemd, or another OS) every call is a no-op and libc is never opened.
import { dlopen, FFIType, ptr, read } from "bun:ffi";

export interface ServiceNotifier {
  /** True when $NOTIFY_SOCKET names a socket to notify. */
  readonly enabled: boolean;
  /** READY=1: configuration loaded and listening (also after a reload). */
  ready(status: string): void;
  /** RELOADING=1 with MONOTONIC_USEC, which systemd requires with it (since v253) to match the reload. */
  reloading(status: string): void;
  /** STOPPING=1: draining in-flight requests. */
  stopping(status: string): void;
  /** STATUS= only: the one line `systemctl status` shows. */
  status(status: string): void;
}

export class SystemdNotifyError extends Error {
  override name = "SystemdNotifyError";
  constructor(
    readonly code: "MCPGW_SYSTEMD_NOTIFY_SOCKET_UNSUPPORTED" | "MCPGW_SYSTEMD_NOTIFY_FAILED",
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** `KEY=value` lines; STATUS is one line, so newlines in it become spaces (a newline would start a new assignment). */
export function notifyMessage(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${value.replace(/[\r\n]+/g, " ")}`)
    .join("\n");
}

const AF_UNIX = 1;
const SUN_PATH_SIZE = 108;

/** struct sockaddr_un for Linux: sun_family (u16), then the path; "@name" is the abstract namespace (leading NUL). */
export function unixSocketAddress(notifySocket: string): { address: Uint8Array; length: number } {
  const abstract = notifySocket.startsWith("@");
  if (!abstract && !notifySocket.startsWith("/")) {
    throw new SystemdNotifyError("MCPGW_SYSTEMD_NOTIFY_SOCKET_UNSUPPORTED", `NOTIFY_SOCKET="${notifySocket}" is neither a path nor an abstract socket (@name); mcpgw cannot notify it. Remove Type=notify from the unit, or run mcpgw under a systemd that uses a unix socket.`);
  }
  const path = new TextEncoder().encode(abstract ? notifySocket.slice(1) : notifySocket);
  // A filesystem path keeps its terminating NUL inside sun_path; an abstract name has no terminator.
  const pathLength = abstract ? 1 + path.length : path.length + 1;
  if (pathLength > SUN_PATH_SIZE) throw new SystemdNotifyError("MCPGW_SYSTEMD_NOTIFY_SOCKET_UNSUPPORTED", `NOTIFY_SOCKET is ${pathLength} bytes long; a unix socket address holds at most ${SUN_PATH_SIZE}.`);
  const address = new Uint8Array(2 + SUN_PATH_SIZE);
  new DataView(address.buffer).setUint16(0, AF_UNIX, true);
  address.set(path, abstract ? 3 : 2);
  return { address, length: 2 + pathLength };
}

const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
const CLOCK_MONOTONIC = 1;

type Libc = ReturnType<typeof openLibc>;
function openLibc() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  }).symbols;
}

function errno(libc: Libc): number {
  const location = libc.__errno_location();
  return location ? read.i32(location, 0) : 0;
}

/** CLOCK_MONOTONIC in microseconds, the clock systemd compares MONOTONIC_USEC with. */
function monotonicMicroseconds(libc: Libc): string {
  const timespec = new BigInt64Array(2);
  if (libc.clock_gettime(CLOCK_MONOTONIC, ptr(timespec)) !== 0) throw new SystemdNotifyError("MCPGW_SYSTEMD_NOTIFY_FAILED", `clock_gettime failed (errno ${errno(libc)}).`);
  return String(timespec[0]! * 1_000_000n + timespec[1]! / 1_000n);
}

function send(libc: Libc, target: { address: Uint8Array; length: number }, message: string): void {
  const fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SystemdNotifyError("MCPGW_SYSTEMD_NOTIFY_FAILED", `socket(AF_UNIX, SOCK_DGRAM) failed (errno ${errno(libc)}); is RestrictAddressFamilies missing AF_UNIX?`);
  try {
    const bytes = new TextEncoder().encode(message);
    const sent = libc.sendto(fd, ptr(bytes), bytes.length, MSG_NOSIGNAL, ptr(target.address), target.length);
    if (Number(sent) !== bytes.length) throw new SystemdNotifyError("MCPGW_SYSTEMD_NOTIFY_FAILED", `sendto($NOTIFY_SOCKET) failed (errno ${errno(libc)}).`);
  } finally {
    libc.close(fd);
  }
}

const DISABLED: ServiceNotifier = { enabled: false, ready() {}, reloading() {}, stopping() {}, status() {} };

/**
 * A notifier for $NOTIFY_SOCKET, or a no-op one when it is unset. A failed send is reported to onError and
 * never thrown: the gateway serves on, and systemd's start timeout says the rest.
 */
export function systemdNotifier(env: Record<string, string | undefined>, onError: (err: SystemdNotifyError) => void): ServiceNotifier {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return DISABLED;
  let libc: Libc | undefined;
  const notify = (fields: (libc: Libc) => Record<string, string>) => {
    try {
      const target = unixSocketAddress(socket);
      // bun:ffi needs the JIT: MemoryDenyWriteExecute=yes in the unit makes this throw (docs/operations.md).
      libc ??= openLibc();
      send(libc, target, notifyMessage(fields(libc)));
    } catch (err) {
      onError(err instanceof SystemdNotifyError ? err : new SystemdNotifyError("MCPGW_SYSTEMD_NOTIFY_FAILED", (err as Error).message));
    }
  };
  return {
    enabled: true,
    ready: (status) => notify(() => ({ READY: "1", STATUS: status })),
    reloading: (status) => notify((l) => ({ RELOADING: "1", MONOTONIC_USEC: monotonicMicroseconds(l), STATUS: status })),
    stopping: (status) => notify(() => ({ STOPPING: "1", STATUS: status })),
    status: (status) => notify(() => ({ STATUS: status })),
  };
}
