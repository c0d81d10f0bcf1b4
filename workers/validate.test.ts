import { describe, expect, it } from "vitest";
import { isInvalid, parsePayment, parseWindow } from "./validate.ts";

const id = "4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3";

describe("parsePayment", () => {
  it("accepts a well-formed payment as integer cents and a lower-case id", () => {
    expect(parsePayment({ correlationId: id.toUpperCase(), amount: 19.9 })).toEqual({ correlationId: id, cents: 1990 });
  });

  it.each([
    ["null", null],
    ["an array", [id, 19.9]],
    ["a string", "payment"],
    ["no correlationId", { amount: 19.9 }],
    ["a numeric correlationId", { correlationId: 42, amount: 19.9 }],
    ["a non-UUID correlationId", { correlationId: "not-a-uuid", amount: 19.9 }],
    ["a UUID with junk around it", { correlationId: ` ${id}`, amount: 19.9 }],
    ["no amount", { correlationId: id }],
    ["a string amount", { correlationId: id, amount: "19.90" }],
    ["a zero amount", { correlationId: id, amount: 0 }],
    ["a negative amount", { correlationId: id, amount: -5 }],
    ["three decimals", { correlationId: id, amount: 19.999 }],
    ["an absurd amount", { correlationId: id, amount: 1e12 }],
    ["a boolean amount", { correlationId: id, amount: true }],
  ])("refuses %s", (_, body) => {
    const result = parsePayment(body);
    expect(isInvalid(result)).toBe(true);
  });
});

describe("parseWindow", () => {
  it("leaves missing bounds open", () => {
    expect(parseWindow(undefined, undefined)).toEqual({ fromMs: Number.MIN_SAFE_INTEGER, toMs: Number.MAX_SAFE_INTEGER });
  });

  it("reads both bounds", () => {
    expect(parseWindow("2025-07-10T12:00:00.000Z", "2025-07-10T12:00:01.000Z")).toEqual({
      fromMs: Date.UTC(2025, 6, 10, 12),
      toMs: Date.UTC(2025, 6, 10, 12, 0, 1),
    });
  });

  it("refuses bad timestamps and reversed windows", () => {
    expect(isInvalid(parseWindow("nope", undefined))).toBe(true);
    expect(isInvalid(parseWindow(undefined, "2025-07-10"))).toBe(true);
    expect(isInvalid(parseWindow("2025-07-10T12:00:01Z", "2025-07-10T12:00:00Z"))).toBe(true);
  });
});
