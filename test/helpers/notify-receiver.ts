import { join } from "node:path";

export interface NotifyMessage {
  pid: number | null;
  fields: Record<string, string>;
  monotonic_usec: number;
}

/** A systemd-style $NOTIFY_SOCKET receiver: Debian's python3 running notify-receiver.py, a real unix datagram socket. */
export async function startNotifyReceiver(address: string) {
  const proc = Bun.spawn(["python3", join(import.meta.dir, "notify-receiver.py"), address], { stdout: "pipe", stderr: "inherit", stdin: "ignore" });
  const messages: NotifyMessage[] = [];
  const waiters: { pred: (m: NotifyMessage) => boolean; resolve: (m: NotifyMessage) => void }[] = [];
  let listening!: (m: { monotonic_usec: number }) => void;
  const ready = new Promise<{ monotonic_usec: number }>((r) => (listening = r));
  (async () => {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of proc.stdout) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) !== -1) {
        const entry = JSON.parse(buf.slice(0, nl)) as NotifyMessage & { listening?: string };
        buf = buf.slice(nl + 1);
        if (entry.listening) {
          listening(entry);
          continue;
        }
        messages.push(entry);
        for (const w of [...waiters]) if (w.pred(entry)) waiters.splice(waiters.indexOf(w), 1), w.resolve(entry);
      }
    }
  })();
  await ready;
  return {
    messages,
    /** The first message (seen or future) matching pred. */
    next(pred: (m: NotifyMessage) => boolean, timeoutMs = 10_000): Promise<NotifyMessage> {
      const seen = messages.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching notify message; got ${JSON.stringify(messages)}`)), timeoutMs);
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
    /** CLOCK_MONOTONIC in µs, read by the receiver's own clock (python's time.clock_gettime_ns). */
    monotonicUsec: () => Number(Bun.spawnSync(["python3", "-c", "import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)"]).stdout.toString().trim()),
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}
