import { afterEach, describe, expect, it, vi } from "vitest";
import { collectNativeGarbage, collector, requestFinished } from "./native-memory.ts";

describe("native memory", () => {
  afterEach(() => {
    delete (globalThis as { gc?: unknown }).gc;
  });

  it("runs a full collection at most once per interval", () => {
    const gc = vi.fn();
    (globalThis as { gc?: unknown }).gc = gc;
    const c = collector(1_000);
    for (let t = 1_000; t < 4_000; t += 10) collectNativeGarbage(c, t);
    expect(gc).toHaveBeenCalledTimes(3); // at 1,000, 2,000 and 3,000
  });

  it("runs one sooner once enough requests have finished since the last", () => {
    const gc = vi.fn();
    (globalThis as { gc?: unknown }).gc = gc;
    const c = collector(1_000, 100);
    collectNativeGarbage(c, 1_000);
    for (let i = 0; i < 99; i++) requestFinished(c);
    collectNativeGarbage(c, 1_100);
    expect(gc).toHaveBeenCalledTimes(1);
    requestFinished(c);
    collectNativeGarbage(c, 1_100);
    expect(gc).toHaveBeenCalledTimes(2);
    collectNativeGarbage(c, 1_200); // the count starts again
    expect(gc).toHaveBeenCalledTimes(2);
    collectNativeGarbage(c, 2_100); // and the interval still holds
    expect(gc).toHaveBeenCalledTimes(3);
  });

  it("does nothing where the runtime does not expose gc", () => {
    const c = collector(1_000);
    expect(() => collectNativeGarbage(c, 5_000)).not.toThrow();
    expect(c.lastAt).toBe(0);
  });
});
