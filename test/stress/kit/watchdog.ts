// A bound on how long one fuzz case may take, so a hang fails the case instead of the whole run. It is
// a watchdog, not a speed assertion: the bound is generous (seconds), and what it reports is "hung".

export class Hung extends Error {
  override name = "Hung";
}

export async function withWatchdog<T>(what: string, boundMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Hung(`${what} did not finish within ${boundMs} ms`));
    }, boundMs);
  });
  try {
    return await Promise.race([run(controller.signal), watchdog]);
  } finally {
    clearTimeout(timer);
  }
}
