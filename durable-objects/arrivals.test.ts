import { describe, expect, it } from "vitest";
import { arrivalsPerSecond, countArrivals, initialArrivals } from "./arrivals.ts";

describe("arrivals per second", () => {
  it("counts a steady stream at its rate", () => {
    const a = initialArrivals();
    for (let t = 0; t < 4_500; t += 10) countArrivals(a, 4, t); // 400 a second
    expect(arrivalsPerSecond(a, 4_500)).toBeCloseTo(400, 5); // mid-bucket
    for (let t = 4_500; t < 5_000; t += 10) countArrivals(a, 4, t);
    expect(arrivalsPerSecond(a, 5_000)).toBeCloseTo(400, 5); // at a bucket's edge
  });

  it("forgets a burst once it is more than a second old", () => {
    const a = initialArrivals();
    countArrivals(a, 1_000, 100);
    expect(arrivalsPerSecond(a, 900)).toBe(1_000);
    expect(arrivalsPerSecond(a, 1_500)).toBe(500); // half of the last bucket still counts
    expect(arrivalsPerSecond(a, 2_000)).toBe(0);
    expect(arrivalsPerSecond(a, 60_000)).toBe(0);
  });

  it("remembers when the last payment came, and a start counts as one", () => {
    const a = initialArrivals(50);
    expect(a.lastAt).toBe(50);
    countArrivals(a, 3, 700);
    countArrivals(a, 0, 900); // a batch with nothing new in it
    expect(a.lastAt).toBe(700);
  });

  it("drops both buckets after a long silence", () => {
    const a = initialArrivals();
    countArrivals(a, 300, 500);
    countArrivals(a, 7, 10_200);
    expect(arrivalsPerSecond(a, 10_200)).toBeCloseTo(7, 5);
  });
});
