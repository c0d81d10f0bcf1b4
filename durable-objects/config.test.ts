import { describe, expect, it } from "vitest";
import { readConfig } from "./config.ts";

const urls = { PROCESSOR_DEFAULT_URL: "http://127.0.0.1:8001", PROCESSOR_FALLBACK_URL: "http://127.0.0.1:8002/" };
const read = (vars: Record<string, string | null>) => readConfig({ ...urls, ...vars } as unknown as Env);

describe("dispatch config", () => {
  it("takes the defaults for settings left unset (workerd binds those as null)", () => {
    const config = read({ MAX_IN_FLIGHT: null, MAX_IN_FLIGHT_TOTAL: "" });
    expect(config.maxInFlight).toBe(800);
    expect(config.maxInFlightTotal).toBe(1_024);
    expect(config.parkMs).toBe(5_000);
    expect(config.urls.fallback).toBe("http://127.0.0.1:8002");
  });

  it("takes a positive integer as given", () => {
    expect(read({ MAX_IN_FLIGHT_TOTAL: "600" }).maxInFlightTotal).toBe(600);
  });

  it.each(["0", "-1", "1.5", "lots", "1e400"])("fails at startup on MAX_IN_FLIGHT_TOTAL=%j", (value) => {
    expect(() => read({ MAX_IN_FLIGHT_TOTAL: value })).toThrow(/MAX_IN_FLIGHT_TOTAL must be a positive integer/);
  });

  it.each(["PROCESSOR_TIMEOUT_MS", "MAX_IN_FLIGHT", "MAX_IN_FLIGHT_TOTAL", "FALLBACK_AFTER_MS", "PARK_MS", "SETTLE_AFTER_MS"])(
    "checks %s, and names it when it is bad",
    (name) => {
      expect(() => read({ [name]: "lots" })).toThrow(new RegExp(`^${name} must be a positive integer`));
    },
  );

  it("shares the processors' admission among the ledger's shards, a fixed share each", () => {
    expect(read({ MAX_IN_FLIGHT: "800", LEDGER_SHARDS: "1" }).maxInFlight).toBe(800);
    expect(read({ MAX_IN_FLIGHT: "800", LEDGER_SHARDS: "4" }).maxInFlight).toBe(200);
    expect(read({ MAX_IN_FLIGHT: "800", LEDGER_SHARDS: "3" }).maxInFlight).toBe(266);
    expect(read({ MAX_IN_FLIGHT: "2", LEDGER_SHARDS: "4" }).maxInFlight).toBe(1);
  });

  it("fails at startup on a processor URL that is not one", () => {
    expect(() => read({ PROCESSOR_DEFAULT_URL: "payment-processor-default" })).toThrow(/PROCESSOR_DEFAULT_URL must be an http\(s\) URL/);
  });
});
