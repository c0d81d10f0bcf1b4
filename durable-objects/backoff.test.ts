import { describe, expect, it } from "vitest";
import { MAX_RETRY_MS, retryDelayMs } from "./backoff.ts";

describe("retryDelayMs", () => {
  it("doubles with each failed attempt", () => {
    const top = () => 1; // pin the jitter to its maximum
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, top))).toEqual([20, 40, 80, 160]);
  });

  it("is capped so a backlog drains soon after an outage", () => {
    expect(retryDelayMs(50, () => 1)).toBe(MAX_RETRY_MS);
  });

  it("spreads retries over the upper half of the interval", () => {
    expect(retryDelayMs(3, () => 0)).toBe(40);
    expect(retryDelayMs(3, () => 0.5)).toBe(60);
  });
});
