// Per-call timeouts without a runtime timer per call. Every upstream call of a route sets the same
// delays (requestTimeoutMs, connectTimeoutMs), so deadlines with one delay come due in the order they
// were set: a FIFO per delay, served by one timer armed for its oldest live entry. Setting a deadline is
// a push, cancelling it a flag; cancelled entries at the front are dropped at once, so a queue holds
// about as many entries as there are calls in flight, instead of a runtime timer set and cleared twice
// per call (docs/performance.md, "Optimisation log").

/** A pending deadline; cancel() is idempotent and harmless after it fired. */
export interface Deadline {
  cancel(): void;
}

class Entry implements Deadline {
  constructor(
    readonly due: number,
    public fire: (() => void) | undefined,
    private readonly queue: DeadlineQueue,
  ) {}

  cancel(): void {
    if (this.fire === undefined) return;
    this.fire = undefined;
    this.queue.dropCancelled();
  }
}

export class DeadlineQueue {
  private entries: Entry[] = [];
  private head = 0;
  /** Entries neither fired nor cancelled. */
  private live = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Calls `fire` once, `delayMs` from now, unless cancelled first. */
  add(fire: () => void): Deadline {
    const entry = new Entry(this.now() + this.delayMs, fire, this);
    this.entries.push(entry);
    this.live++;
    if (this.timer === undefined) this.arm(entry.due);
    return entry;
  }

  /** Live (not yet fired or cancelled) deadlines. */
  get pending(): number {
    return this.live;
  }

  /** Held entries, live or not: stays near `pending` (for tests). */
  get held(): number {
    return this.entries.length - this.head;
  }

  dropCancelled(): void {
    this.live--;
    const entries = this.entries;
    while (this.head < entries.length && entries[this.head]!.fire === undefined) this.head++;
    if (this.live === 0) {
      this.entries = [];
      this.head = 0;
    } else if (entries.length - this.head > 2 * this.live + 1024) {
      // Calls finishing out of order behind a slow one (a long event stream): keep only the live ones.
      this.entries = entries.filter((e, i) => i >= this.head && e.fire !== undefined);
      this.head = 0;
    }
  }

  private arm(due: number): void {
    clearTimeout(this.timer);
    // Unreferenced: an empty queue must not keep the process alive; an in-flight call does that itself.
    this.timer = setTimeout(() => this.expire(), Math.max(0, due - this.now()));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head]!;
      if (entry.fire === undefined) {
        this.head++;
        continue;
      }
      if (entry.due > this.now()) {
        this.arm(entry.due);
        return;
      }
      this.head++;
      this.live--;
      const fire = entry.fire;
      entry.fire = undefined;
      fire();
    }
    this.entries = [];
    this.head = 0;
  }
}

const queues = new Map<number, DeadlineQueue>();

/** Calls `fire` after `delayMs` unless cancelled; deadlines with the same delay share one timer. */
export function deadlineAfter(delayMs: number, fire: () => void): Deadline {
  let queue = queues.get(delayMs);
  if (!queue) queues.set(delayMs, (queue = new DeadlineQueue(delayMs)));
  return queue.add(fire);
}
