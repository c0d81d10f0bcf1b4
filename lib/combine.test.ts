import { describe, expect, it } from "vitest";
import { combineStats, combineSummaries, type ShardStats, type SummaryCents } from "./combine.ts";

const books = (d: [number, number], f: [number, number]): SummaryCents => ({
  default: { totalRequests: d[0], totalCents: d[1] },
  fallback: { totalRequests: f[0], totalCents: f[1] },
});

describe("combineSummaries", () => {
  it("adds every shard's books in cents and answers decimal amounts", () => {
    const combined = combineSummaries([books([1, 10], [0, 0]), books([2, 20], [1, 5]), books([0, 0], [0, 0]), books([3, 1990], [2, 1])]);
    expect(combined).toEqual({
      default: { totalRequests: 6, totalAmount: 20.2 },
      fallback: { totalRequests: 3, totalAmount: 0.06 },
    });
  });

  it("is exact where adding the floats is not", () => {
    // 0.1 + 0.2 is 0.30000000000000004 in floats; 10 + 20 cents is 30.
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(combineSummaries([books([1, 10], [0, 0]), books([1, 20], [0, 0])]).default.totalAmount).toBe(0.3);
  });

  it("answers empty books for no shards", () => {
    expect(combineSummaries([])).toEqual({ default: { totalRequests: 0, totalAmount: 0 }, fallback: { totalRequests: 0, totalAmount: 0 } });
  });
});

describe("combineStats", () => {
  const stats = (waiting: number, oldest: number | null, inFlight: number, delay: number | null): ShardStats => ({
    waiting,
    oldestAcceptedAt: oldest,
    processors: {
      default: { inFlight, failures: 1, latencyMs: inFlight * 10, reportedDelayMs: delay },
      fallback: { inFlight: 0, failures: 0, latencyMs: 0, reportedDelayMs: null },
    },
  });

  it("adds counts, keeps the oldest and the worst, and each shard's view", () => {
    const parts = [stats(2, 500, 1, null), stats(0, null, 3, 40), stats(5, 200, 0, 10)];
    const combined = combineStats(parts);
    expect(combined).toMatchObject({
      waiting: 7,
      oldestAcceptedAt: 200,
      processors: {
        default: { inFlight: 4, failures: 3, latencyMs: 30, reportedDelayMs: 40 },
        fallback: { inFlight: 0, failures: 0, latencyMs: 0, reportedDelayMs: null },
      },
    });
    expect(combined.shards).toEqual(parts);
  });

  it("says nothing waits when no shard has anything", () => {
    expect(combineStats([stats(0, null, 0, null)])).toMatchObject({ waiting: 0, oldestAcceptedAt: null });
  });
});
