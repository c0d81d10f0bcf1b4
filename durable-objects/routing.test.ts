import { describe, expect, it } from "vitest";
import { MAX_PROBE_INTERVAL_MS, admit, choose, initialRouting, recordHealth, recordResult, recordSent } from "./routing.ts";

const MAX = 4;

describe("choose", () => {
  it("prefers default while it works", () => {
    const state = initialRouting();
    expect(choose(state, 0, MAX)).toEqual({ processor: "default", probe: false });
  });

  it("goes to fallback while default is failing, and waits when both are", () => {
    const state = initialRouting();
    const toDefault = { processor: "default" as const, probe: false };
    recordSent(state, toDefault);
    recordResult(state, toDefault, "failure", 1_000);
    expect(choose(state, 1_001, MAX)).toEqual({ processor: "fallback", probe: false });

    const toFallback = { processor: "fallback" as const, probe: false };
    recordSent(state, toFallback);
    recordResult(state, toFallback, "failure", 1_000);
    expect(choose(state, 1_001, MAX)).toBeNull();
  });

  it("sends to fallback when default is at its in-flight cap", () => {
    const state = initialRouting();
    for (let i = 0; i < MAX; i++) recordSent(state, { processor: "default", probe: false });
    expect(choose(state, 0, MAX)?.processor).toBe("fallback");
  });
});

describe("probing a failing processor", () => {
  it("sends one probe after the pause, and none while it is on the wire", () => {
    const state = initialRouting();
    const first = { processor: "default" as const, probe: false };
    recordSent(state, first);
    recordResult(state, first, "failure", 0);
    expect(admit(state, "default", state.default.retryAt - 1, MAX)).toBeNull();

    const probe = admit(state, "default", state.default.retryAt, MAX);
    expect(probe).toEqual({ processor: "default", probe: true });
    recordSent(state, probe!);
    expect(admit(state, "default", state.default.retryAt + 1, MAX)).toBeNull();

    recordResult(state, probe!, "success", 100);
    expect(choose(state, 100, MAX)).toEqual({ processor: "default", probe: false });
  });

  it("doubles the pause with each failure, up to a cap", () => {
    const state = initialRouting();
    const pauses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const choice = { processor: "default" as const, probe: false };
      recordSent(state, choice);
      recordResult(state, choice, "failure", 0);
      pauses.push(state.default.retryAt);
    }
    expect(pauses.slice(0, 4)).toEqual([50, 100, 200, 400]);
    expect(pauses.at(-1)).toBe(MAX_PROBE_INTERVAL_MS);
  });
});

describe("health polls", () => {
  it("end a failing spell at once when the processor says it is fine", () => {
    const state = initialRouting();
    const choice = { processor: "default" as const, probe: false };
    recordSent(state, choice);
    recordResult(state, choice, "failure", 0);
    recordHealth(state, "default", { failing: false, minResponseTime: 0 }, 10);
    expect(choose(state, 10, MAX)).toEqual({ processor: "default", probe: false });
  });

  it("start a failing spell without spending a payment", () => {
    const state = initialRouting();
    recordHealth(state, "default", { failing: true, minResponseTime: 0 }, 10);
    expect(choose(state, 11, MAX)?.processor).toBe("fallback");
  });
});
