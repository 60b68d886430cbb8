import { afterEach, describe, expect, it } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { notifyMessage, systemdNotifier, SystemdNotifyError, unixSocketAddress } from "../../src/cli/systemd-notify.ts";
import { spawnCli, type CliRun } from "../helpers/cli.ts";
import { startNotifyReceiver } from "../helpers/notify-receiver.ts";
import { mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";

describe("sd_notify messages", () => {
  it("joins KEY=value lines and keeps STATUS on one line, since a newline would start a new assignment", () => {
    expect(notifyMessage({ READY: "1", STATUS: "two\nlines\r\nhere" })).toBe("READY=1\nSTATUS=two lines here");
  });

  it("encodes a socket path NUL-terminated after the address family", () => {
    const { address, length } = unixSocketAddress("/run/systemd/notify");
    expect(length).toBe(2 + "/run/systemd/notify".length + 1);
    expect(new DataView(address.buffer).getUint16(0, true)).toBe(1);
    expect(new TextDecoder().decode(address.slice(2, length))).toBe("/run/systemd/notify\0");
  });

  it("encodes @name as an abstract address: a leading NUL and no terminator", () => {
    const { address, length } = unixSocketAddress("@/org/freedesktop/systemd1/notify/1234");
    expect(length).toBe(2 + 1 + "/org/freedesktop/systemd1/notify/1234".length);
    expect(address[2]).toBe(0);
    expect(new TextDecoder().decode(address.slice(3, length))).toBe("/org/freedesktop/systemd1/notify/1234");
  });

  it("refuses addresses it cannot send to, with a code", () => {
    expect(() => unixSocketAddress("vsock:2:1234")).toThrow(/MCPGW_SYSTEMD_NOTIFY_SOCKET_UNSUPPORTED/);
    expect(() => unixSocketAddress(`/${"x".repeat(120)}`)).toThrow(/at most 108/);
  });

  it("is disabled without $NOTIFY_SOCKET", () => {
    expect(systemdNotifier({}, () => {}).enabled).toBe(false);
  });

  it("reports a send to a socket nobody listens on instead of throwing", () => {
    const errors: SystemdNotifyError[] = [];
    const notifier = systemdNotifier({ NOTIFY_SOCKET: join(mkdtempSync(join(tmpdir(), "mcpgw-notify-")), "absent.sock") }, (e) => errors.push(e));
    notifier.ready("x");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe("MCPGW_SYSTEMD_NOTIFY_FAILED");
    expect(errors[0]!.message).toMatch(/sendto\(\$NOTIFY_SOCKET\) failed \(errno 2\)/);
  });
});

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0)) await stop();
});

const demoProject = () => writeProject({ policies: { policies: [] }, routes: routesDoc({ "/mcp/demo-v1": { "get,post": mcpRoute("demo", "mcpgw:demo") } }) });

async function startUnderNotify(address: string, project = demoProject()) {
  const receiver = await startNotifyReceiver(address);
  cleanup.push(receiver.stop);
  const run: CliRun = spawnCli(["start", "--project", project, "--port", "0"], { env: { NOTIFY_SOCKET: address } });
  cleanup.push(async () => run.proc.exitCode === null && run.stop("SIGKILL"));
  return { receiver, run, project };
}

describe("mcpgw start under Type=notify (a real unix datagram socket)", () => {
  it("sends READY=1 once listening, RELOADING=1 with MONOTONIC_USEC then READY=1 on SIGHUP, and STOPPING=1 on SIGTERM, all from its own pid", async () => {
    const socket = join(mkdtempSync(join(tmpdir(), "mcpgw-notify-")), "notify.sock");
    const { receiver, run } = await startUnderNotify(socket);
    const url = await run.url();

    const ready = await receiver.next((m) => m.fields.READY === "1");
    expect(ready.pid).toBe(run.proc.pid);
    expect(ready.fields.STATUS).toBe(`Serving on ${url}.`);
    expect((await fetch(`${url}/__mcpgw/health/ready`)).status).toBe(200);

    const beforeHup = receiver.monotonicUsec();
    run.proc.kill("SIGHUP");
    const reloading = await receiver.next((m) => m.fields.RELOADING === "1");
    await run.waitFor((e) => e.event === "config_reloaded");
    // MONOTONIC_USEC is CLOCK_MONOTONIC read by mcpgw between the signal and the datagram.
    const usec = Number(reloading.fields.MONOTONIC_USEC);
    expect(usec).toBeGreaterThanOrEqual(beforeHup);
    expect(usec).toBeLessThanOrEqual(reloading.monotonic_usec);
    const readyAgain = await receiver.next((m) => m.fields.READY === "1" && m !== ready);
    expect(receiver.messages.indexOf(readyAgain)).toBeGreaterThan(receiver.messages.indexOf(reloading));
    expect(readyAgain.fields.STATUS).toBe(`Serving on ${url}; configuration reloaded.`);

    run.proc.kill("SIGTERM");
    expect(await run.proc.exited).toBe(0);
    const stopping = await receiver.next((m) => m.fields.STOPPING === "1");
    expect(stopping).toMatchObject({ pid: run.proc.pid, fields: { STATUS: "Draining in-flight requests." } });
    expect(receiver.messages.map((m) => Object.keys(m.fields)[0])).toEqual(["READY", "RELOADING", "READY", "STOPPING"]);
  });

  it("reports a rejected reload in STATUS while staying READY", async () => {
    const { receiver, run, project } = await startUnderNotify(join(mkdtempSync(join(tmpdir(), "mcpgw-notify-")), "notify.sock"));
    const url = await run.url();
    await receiver.next((m) => m.fields.READY === "1");
    writeFileSync(join(project, "config/routes.oas.json"), "{ not json");
    run.proc.kill("SIGHUP");
    const after = await receiver.next((m) => m.fields.READY === "1" && m.fields.STATUS !== `Serving on ${url}.`);
    expect(after.fields.STATUS).toBe(`Serving on ${url}; reload rejected, previous configuration kept (see the log).`);
  });

  it("notifies an abstract socket (@name), as systemd's per-unit sockets may be", async () => {
    const { receiver, run } = await startUnderNotify(`@mcpgw-test-${process.pid}-${Date.now()}`);
    await run.url();
    expect(await receiver.next((m) => m.fields.READY === "1")).toMatchObject({ pid: run.proc.pid });
  });
});
