import { describe, expect, it } from "vitest";
import { toAmount, toCents } from "./money.ts";

describe("toCents", () => {
  it("converts amounts with up to two decimals exactly", () => {
    expect(toCents(19.9)).toBe(1990);
    expect(toCents(0.01)).toBe(1);
    expect(toCents(1_000_000)).toBe(100_000_000);
    expect(toCents(0.1 + 0.2)).toBe(30); // 0.30000000000000004 is still 30 cents
  });

  it("refuses more than two decimals and non-finite numbers", () => {
    expect(toCents(19.999)).toBeNull();
    expect(toCents(0.001)).toBeNull();
    expect(toCents(Number.NaN)).toBeNull();
    expect(toCents(Number.POSITIVE_INFINITY)).toBeNull();
  });

  it("sums in cents without float drift", () => {
    const cents = Array.from({ length: 10_000 }, () => toCents(19.9) as number).reduce((a, b) => a + b, 0);
    expect(toAmount(cents)).toBe(199_000);
    let floats = 0;
    for (let i = 0; i < 10_000; i++) floats += 19.9;
    expect(floats).not.toBe(199_000); // the reason cents exist
  });
});
