import { describe, expect, it } from "bun:test";
import { DeadlineQueue } from "../../src/mcp/deadlines.ts";

describe("deadline queue", () => {
  it("fires each deadline once, after its delay, in the order they were set", async () => {
    const queue = new DeadlineQueue(30);
    const fired: string[] = [];
    const started = performance.now();
    queue.add(() => fired.push("a"));
    await Bun.sleep(5);
    queue.add(() => fired.push("b"));
    await Bun.sleep(20);
    expect(fired).toEqual([]);
    await Bun.sleep(40);
    expect(fired).toEqual(["a", "b"]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(30);
    expect(queue.pending).toBe(0);
  });

  it("never fires a cancelled deadline, and cancelling twice or after firing is harmless", async () => {
    const queue = new DeadlineQueue(10);
    const fired: string[] = [];
    const a = queue.add(() => fired.push("a"));
    const b = queue.add(() => fired.push("b"));
    a.cancel();
    a.cancel();
    await Bun.sleep(30);
    expect(fired).toEqual(["b"]);
    b.cancel();
    expect(queue.pending).toBe(0);
  });

  it("keeps only live deadlines when calls finish in order, and compacts behind a slow one", () => {
    const queue = new DeadlineQueue(60_000);
    const slow = queue.add(() => undefined);
    for (let i = 0; i < 5000; i++) queue.add(() => undefined).cancel();
    expect(queue.pending).toBe(1);
    expect(queue.held).toBeLessThan(1100);
    slow.cancel();
    expect(queue.held).toBe(0);
  });

  it("serves deadlines set while others fire", async () => {
    const queue = new DeadlineQueue(10);
    const fired: string[] = [];
    queue.add(() => {
      fired.push("first");
      queue.add(() => fired.push("second"));
    });
    await Bun.sleep(60);
    expect(fired).toEqual(["first", "second"]);
  });
});
