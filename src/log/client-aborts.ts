import type { LogFields, Logger } from "./logger.ts";

// A client that hangs up while its request body is being read is not a gateway failure (issue 18: 4,000
// slow clients left 4,000 error lines). Such aborts are counted and logged as what they are: at info at
// most once per interval with how many there were, each one at debug.

/** Bun rejects a body read with a DOMException named AbortError when the connection closes under it. */
export function isClientAbort(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "AbortError";
}

export class ClientAbortLog {
  private total = 0;
  private sinceLine = 0;
  private lastLineAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly intervalMs = 10_000,
  ) {}

  /** Counts one abort; `fields` say where (operationId, endpoint). */
  note(fields: LogFields): void {
    this.total++;
    this.sinceLine++;
    const t = this.now();
    if (t - this.lastLineAt < this.intervalMs) {
      this.log.debug("client_aborted", "A client went away while sending its request body.", { ...fields, total: this.total });
      return;
    }
    this.log.info("client_aborted", `${this.sinceLine} client(s) went away while sending a request body (${this.total} since start); nothing failed in the gateway.`, {
      ...fields,
      count: this.sinceLine,
      total: this.total,
    });
    this.sinceLine = 0;
    this.lastLineAt = t;
  }
}
