import { describe, expect, it } from "vitest";
import { WIRE_SLACK_MS, answered, requestedAtFor, sent, type Wire } from "./requested-at.ts";

const TIMEOUT = 10_000;

describe("requestedAtFor", () => {
  it("dates a payment to a fast processor with the moment it leaves", () => {
    expect(requestedAtFor(50_000, 0, [], TIMEOUT)).toBe(50_000);
  });

  it("dates a payment to a slow processor with when it should be stored", () => {
    expect(requestedAtFor(50_000, 3_000, [], TIMEOUT)).toBe(53_000);
  });

  it("leans on the oldest request on the wire when the delay rose and no answer showed it yet", () => {
    // Known delay 0, but a request has been out for 2 s: the delay is at least that.
    const wire: Wire = [48_000, 49_000];
    expect(requestedAtFor(50_000, 0, wire, TIMEOUT)).toBe(50_000 + 2_000 - WIRE_SLACK_MS);
  });

  it("does not count our own late handling of answers as processor delay", () => {
    // Steady 1 s delay; the oldest answer has waited 100 ms for our thread.
    expect(requestedAtFor(50_000, 1_000, [48_900], TIMEOUT)).toBe(51_000);
  });

  it("expects no store later than the timeout", () => {
    expect(requestedAtFor(50_000, 60_000, [], TIMEOUT)).toBe(60_000);
    expect(requestedAtFor(50_000, 0, [10_000], TIMEOUT)).toBe(60_000);
  });
});

describe("the wire", () => {
  it("keeps send times oldest first and takes answered ones off", () => {
    const wire: Wire = [];
    sent(wire, 1);
    sent(wire, 2);
    sent(wire, 2);
    sent(wire, 3);
    answered(wire, 2);
    expect(wire).toEqual([1, 2, 3]);
    answered(wire, 1);
    expect(wire).toEqual([2, 3]);
    answered(wire, 99); // not on the wire: nothing changes
    expect(wire).toEqual([2, 3]);
  });
});
