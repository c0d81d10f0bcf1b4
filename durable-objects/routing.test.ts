import { describe, expect, it } from "vitest";
import {
  MAX_PROBE_INTERVAL_MS, admit, initialRouting, recordHealth, recordResult, recordSent, route,
  type Choice, type ProcessorName, type RoutingState,
} from "./routing.ts";

const limits = { maxInFlight: 4, fallbackAfterMs: 10_000 };
const send = (processor: ProcessorName, probe = false): Choice => ({ processor, probe });

function failing(state: RoutingState, processor: ProcessorName, now: number): void {
  const choice = send(processor);
  recordSent(state, choice);
  recordResult(state, choice, "failure", now);
}

describe("route", () => {
  it("sends to default while it works, however long the payment has waited", () => {
    const state = initialRouting();
    expect(route(state, 0, 0, limits)).toEqual({ go: send("default") });
    expect(route(state, 60_000, 0, limits)).toEqual({ go: send("default") });
  });

  it("lets a payment wait for a failing default until it has waited fallbackAfterMs, then pays fallback", () => {
    const state = initialRouting();
    failing(state, "default", 1_000);
    expect(route(state, 1_001, 1_000, limits)).toEqual({ waitUntil: state.default.retryAt });
    const patient = route(state, 5_000, 1_000, limits); // the probe is also due
    expect(patient).toEqual({ go: send("default", true) });
    recordSent(state, send("default", true)); // the probe is on the wire
    expect(route(state, 5_000, 1_000, limits)).toEqual({ waitUntil: 11_000 });
    expect(route(state, 11_000, 1_000, limits)).toEqual({ go: send("fallback") });
  });

  it("waits when both are failing, until the sooner probe", () => {
    const state = initialRouting();
    failing(state, "default", 0);
    failing(state, "fallback", 0);
    failing(state, "fallback", 0);
    expect(route(state, 20_000, 0, limits)).toEqual({ go: send("default", true) });
    const soon = initialRouting();
    failing(soon, "default", 0);
    failing(soon, "fallback", 0);
    expect(route(soon, 20, 0, limits)).toEqual({ waitUntil: Math.min(soon.default.retryAt, soon.fallback.retryAt) });
  });

  it("treats a default at its in-flight cap like a failing one: young payments wait, old ones spill", () => {
    const state = initialRouting();
    for (let i = 0; i < limits.maxInFlight; i++) recordSent(state, send("default"));
    expect(route(state, 100, 0, limits)).toEqual({ waitUntil: 10_000 });
    expect(route(state, 10_000, 0, limits)).toEqual({ go: send("fallback") });
    for (let i = 0; i < limits.maxInFlight; i++) recordSent(state, send("fallback"));
    // Both full: an answer will free one, so there is no time to name.
    expect(route(state, 10_000, 0, limits)).toEqual({ waitUntil: Infinity });
  });
});

describe("probing a failing processor", () => {
  it("sends one probe after the pause, and none while it is on the wire", () => {
    const state = initialRouting();
    failing(state, "default", 0);
    expect(admit(state, "default", state.default.retryAt - 1, 4)).toBeNull();
    const probe = admit(state, "default", state.default.retryAt, 4);
    expect(probe).toEqual(send("default", true));
    recordSent(state, probe!);
    expect(admit(state, "default", state.default.retryAt + 1, 4)).toBeNull();
    recordResult(state, probe!, "success", 100);
    expect(admit(state, "default", 100, 4)).toEqual(send("default"));
  });

  it("doubles the pause with each failure, up to a cap", () => {
    const state = initialRouting();
    const pauses: number[] = [];
    for (let i = 0; i < 8; i++) {
      failing(state, "default", 0);
      pauses.push(state.default.retryAt);
    }
    expect(pauses.slice(0, 4)).toEqual([50, 100, 200, 400]);
    expect(pauses.at(-1)).toBe(MAX_PROBE_INTERVAL_MS);
  });
});

describe("health polls", () => {
  it("end a failing spell at once when the processor says it is fine", () => {
    const state = initialRouting();
    failing(state, "default", 0);
    recordHealth(state, "default", { failing: false, minResponseTime: 0 }, 10);
    expect(route(state, 10, 0, limits)).toEqual({ go: send("default") });
  });

  it("start a failing spell without spending a payment", () => {
    const state = initialRouting();
    recordHealth(state, "default", { failing: true, minResponseTime: 0 }, 10);
    expect(route(state, 11, 0, limits)).toEqual({ waitUntil: state.default.retryAt });
  });
});
