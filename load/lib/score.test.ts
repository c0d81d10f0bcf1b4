import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { randomScenario } from "./random-scenario.js";
import { capacityOracleFee, chaosAt, oracleFee, score, vusAt } from "./score.js";

const books = (d: number, f: number) => ({
  default: { totalRequests: d, totalAmount: d * 19.9, totalFee: d * 19.9 * 0.05 },
  fallback: { totalRequests: f, totalAmount: f * 19.9, totalFee: f * 19.9 * 0.15 },
});

describe("score", () => {
  it("nets the fees and adds 2% per millisecond of p99 under 11 ms", () => {
    const result = score({ processors: books(100, 0), p99Ms: 1, inconsistentAudits: 0, accepted: 100 });
    expect(result.net).toBe(1890.5); // 1990 - 5%
    expect(result.latencyBonus).toBe(0.2);
    expect(result.profit).toBe(2268.6);
    expect(result.lag).toBe(0);
  });

  it("fines 35% for any inconsistency and reports lag", () => {
    const result = score({ processors: books(50, 50), p99Ms: 20, inconsistentAudits: 1, accepted: 110 });
    expect(result.latencyBonus).toBe(0);
    expect(result.profit).toBe(Math.round((995 * 0.95 + 995 * 0.85) * 0.65 * 100) / 100);
    expect(result.lag).toBe(10);
    expect(result.defaultShare).toBe(0.5);
  });

  it("disqualifies a run that paid more than it accepted", () => {
    expect(score({ processors: books(10, 0), p99Ms: 1, inconsistentAudits: 0, accepted: 9 }).disqualified).toBe(true);
  });
});

describe("schedules", () => {
  it("finds the chaos step in force and the ramp's VUs", () => {
    const chaos = [{ at: 0 }, { at: 10 }, { at: 20 }];
    expect(chaosAt(chaos, 0)).toBe(chaos[0]);
    expect(chaosAt(chaos, 19.9)).toBe(chaos[1]);
    expect(vusAt(550, 0, 60)).toBe(1);
    expect(vusAt(550, 30, 60)).toBe(276);
    expect(vusAt(550, 60, 60)).toBe(550);
  });

  it("draws the same random schedule for the same seed, and another for another", () => {
    expect(randomScenario(7)).toEqual(randomScenario(7));
    expect(randomScenario(7).chaos).not.toEqual(randomScenario(8).chaos);
    const { chaos, durationSeconds } = randomScenario(42, { durationSeconds: 300 });
    expect(chaos[0]!.at).toBe(0);
    expect(chaos.every((step, i) => i === 0 || (step.at > chaos[i - 1]!.at && step.at < durationSeconds))).toBe(true);
  });
});

describe("oracleFee", () => {
  const step = (d: boolean, f: boolean) => ({ default: { delay: 0, failure: d }, fallback: { delay: 0, failure: f } });
  const fees = { default: 0.05, fallback: 0.15 };

  it("prices each step's payments at the cheaper processor that was not failing", () => {
    const chaos = [step(false, false), step(true, false), step(false, true), step(true, true)];
    // 10 on default, 20 on fallback, 30 on default (fallback failing), 40 at default's fee (both failing).
    expect(oracleFee(chaos, [10, 20, 30, 40], 19.9, fees)).toBe(
      Math.round((10 * 19.9 * 0.05 + 20 * 19.9 * 0.15 + 30 * 19.9 * 0.05 + 40 * 19.9 * 0.05) * 100) / 100,
    );
    expect(oracleFee(chaos, [0, 100, 0, 0], 19.9, fees)).toBe(298.5);
  });

  it("works on the short schedule, and is zero with nothing accepted", () => {
    const short = loadShort();
    // Only step 2 (default failing, fallback up) goes to fallback.
    expect(oracleFee(short, [1, 1, 1, 1, 1, 1], 100, fees)).toBe(5 * 5 + 15);
    expect(oracleFee(short, [], 19.9, fees)).toBe(0);
    expect(oracleFee(short, [0, 0, 0], 19.9, fees)).toBe(0);
  });

  it("refuses counts for steps the schedule does not have", () => {
    expect(() => oracleFee([step(false, false)], [1, 1], 19.9, fees)).toThrow(/step 1/);
  });
});

function loadShort(): { default: { failure: boolean }; fallback: { failure: boolean } }[] {
  return JSON.parse(readFileSync(new URL("../scenarios/short.json", import.meta.url), "utf8")).chaos;
}

describe("capacityOracleFee", () => {
  const fees = { default: 0.05, fallback: 0.15 };
  const at = (t: number, dDelay: number, dFail: boolean, fFail = false) => ({
    at: t,
    default: { delay: dDelay, failure: dFail },
    fallback: { delay: 0, failure: fFail },
  });

  it("agrees with the plain oracle while default is fast", () => {
    const chaos = [at(0, 0, false), at(2, 1, true)];
    const perSecond = [300, 300, 100, 100];
    expect(capacityOracleFee(chaos, perSecond, 10, fees)).toBe(oracleFee(chaos, [600, 200], 10, fees));
  });

  it("sends what a slow default cannot admit to fallback", () => {
    // 2 s delay: 800 at once carry 400 a second; 500 arrive, 100 overflow.
    expect(capacityOracleFee([at(0, 2_000, false)], [500], 10, fees)).toBe(400 * 10 * 0.05 + 100 * 10 * 0.15);
  });

  it("prices overflow at default's fee when fallback fails too (it has to wait)", () => {
    expect(capacityOracleFee([at(0, 2_000, false, true)], [500], 10, fees)).toBe(500 * 10 * 0.05);
  });
});
