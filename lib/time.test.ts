import { describe, expect, it } from "vitest";
import { parseIsoTimestamp, toIso } from "./time.ts";

describe("parseIsoTimestamp", () => {
  it("reads the contract's timestamps and zone offsets", () => {
    expect(parseIsoTimestamp("2025-07-10T12:34:56.000Z")).toBe(Date.UTC(2025, 6, 10, 12, 34, 56));
    expect(parseIsoTimestamp("2025-07-10T12:34:56Z")).toBe(Date.UTC(2025, 6, 10, 12, 34, 56));
    expect(parseIsoTimestamp("2025-07-10T14:34:56.5+02:00")).toBe(Date.UTC(2025, 6, 10, 12, 34, 56, 500));
    expect(parseIsoTimestamp("2025-07-10T12:34:56.123456Z")).toBe(Date.UTC(2025, 6, 10, 12, 34, 56, 123));
  });

  it("refuses anything else", () => {
    for (const bad of [
      "",
      "yesterday",
      "2025-07-10",
      "2025-07-10 12:34:56Z",
      "2025-07-10T12:34:56",
      "1752150896000",
      "2025-02-30T00:00:00Z",
      "2025-13-01T00:00:00Z",
      "2025-07-10T24:00:00Z",
      "2025-07-10T12:60:00Z",
    ]) {
      expect(parseIsoTimestamp(bad), bad).toBeNull();
    }
  });

  it("round-trips with toIso", () => {
    const ms = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    expect(parseIsoTimestamp(toIso(ms))).toBe(ms);
  });
});
