import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { DeadlineExceeded, withDeadline } from "./deadline.ts";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

it("answers what the work answers when it settles in time", async () => {
  const work = new Promise<string>((resolve) => setTimeout(() => resolve("done"), 999));
  const bounded = withDeadline(work, 1_000, "accept");
  await vi.advanceTimersByTimeAsync(999);
  await expect(bounded).resolves.toBe("done");
  expect(vi.getTimerCount(), "its timer is cleared").toBe(0);
});

it("passes the work's own failure on", async () => {
  const bounded = withDeadline(Promise.reject(new Error("connection reset")), 1_000, "accept");
  await expect(bounded).rejects.toThrow("connection reset");
  expect(vi.getTimerCount()).toBe(0);
});

it("gives up once the deadline passes, naming the call", async () => {
  const never = new Promise<string>(() => {});
  const bounded = withDeadline(never, 1_000, "ledger.summary");
  const outcome = expect(bounded).rejects.toThrow(new DeadlineExceeded("ledger.summary: no answer within 1000 ms"));
  await vi.advanceTimersByTimeAsync(999);
  expect(vi.getTimerCount(), "still waiting at 999 ms").toBe(1);
  await vi.advanceTimersByTimeAsync(1);
  await outcome;
  await expect(bounded).rejects.toBeInstanceOf(DeadlineExceeded);
});

it("ignores a late answer after giving up", async () => {
  let answer: (value: string) => void = () => {};
  const late = new Promise<string>((resolve) => (answer = resolve));
  const bounded = withDeadline(late, 10, "accept");
  const outcome = expect(bounded).rejects.toBeInstanceOf(DeadlineExceeded);
  await vi.advanceTimersByTimeAsync(10);
  answer("too late");
  await outcome;
});
