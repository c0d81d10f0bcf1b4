import { describe, expect, it } from "vitest";
import { HEALTH_ASK_MS, type HealthPolls, type HealthReport, checkHealthIfDue, pollDue, unseenAnswers } from "./health-polls.ts";
import { HEALTH_INTERVAL_MS } from "./processor-client.ts";
import type { Health, ProcessorName } from "./routing.ts";

const ok: Health = { failing: false, minResponseTime: 0 };
const down: Health = { failing: true, minResponseTime: 0 };

describe("pollDue", () => {
  it("waits out the processors' 5 s between health calls", () => {
    expect(pollDue(0, HEALTH_INTERVAL_MS)).toBe(true);
    expect(pollDue(1_000, 1_000 + HEALTH_INTERVAL_MS - 1)).toBe(false);
    expect(HEALTH_INTERVAL_MS).toBeGreaterThan(5_000);
  });
});

describe("unseenAnswers", () => {
  it("hands each answer over once, so an old one cannot undo newer failures", () => {
    const seenAt = { default: 0, fallback: 0 };
    const report: HealthReport = { default: { health: ok, answeredAt: 100 }, fallback: null };
    expect(unseenAnswers(report, seenAt)).toEqual([["default", ok]]);
    expect(unseenAnswers(report, seenAt)).toEqual([]);
    const later: HealthReport = { default: { health: down, answeredAt: 200 }, fallback: { health: ok, answeredAt: 150 } };
    expect(unseenAnswers(later, seenAt)).toEqual([
      ["default", down],
      ["fallback", ok],
    ]);
  });
});

describe("checkHealthIfDue with a shared health object", () => {
  it("asks it at most once per HEALTH_ASK_MS, and records each answer once", async () => {
    let asks = 0;
    const report: HealthReport = { default: { health: ok, answeredAt: 1 }, fallback: null };
    const recorded: Array<[ProcessorName, Health]> = [];
    const polls: HealthPolls = { polledAt: { default: 0, fallback: 0 }, askedAt: -Infinity, seenAt: { default: 0, fallback: 0 } };
    const deps = {
      urls: { default: "http://unused.invalid", fallback: "http://unused.invalid" },
      shared: { current: async () => (asks++, report) },
      remember: () => expect.unreachable("a shard must not poll the processors itself"),
      record: (name: ProcessorName, health: Health) => recorded.push([name, health]),
      onError: (error: unknown) => expect.unreachable(String(error)),
    };
    checkHealthIfDue(polls, 10_000, deps);
    checkHealthIfDue(polls, 10_000 + HEALTH_ASK_MS - 1, deps);
    await Promise.resolve();
    await Promise.resolve();
    expect(asks).toBe(1);
    checkHealthIfDue(polls, 10_000 + HEALTH_ASK_MS, deps);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(asks).toBe(2);
    expect(recorded).toEqual([["default", ok]]);
  });
});
