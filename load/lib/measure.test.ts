import { describe, expect, it } from "vitest";
import {
  CONTEST_LATENCY_METRIC,
  SERVICE_LATENCY_METRIC,
  auditEndOffsetMs,
  auditWindow,
  finalReadWindow,
  isExpectedStatus,
  trendFigures,
  windowQuery,
} from "./measure.js";

describe("how the contest measures", () => {
  it("scores the p99 of every request with an expected response, and keeps the service's POSTs apart", () => {
    expect(CONTEST_LATENCY_METRIC).toBe("http_req_duration{expected_response:true}");
    // a sub-metric of the same, narrowed to the POSTs the k6 script tags as the service's
    expect(SERVICE_LATENCY_METRIC).toBe("http_req_duration{target:service,name:POST /payments,expected_response:true}");
  });

  it("expects 200–399 as k6 does by default; no answer, 4xx and 5xx are not expected", () => {
    expect([200, 202, 204, 301, 399].map(isExpectedStatus)).toEqual([true, true, true, true, true]);
    expect([0, 199, 400, 401, 404, 429, 500, 503].map(isExpectedStatus)).toEqual([false, false, false, false, false, false, false, false]);
  });

  it("reads the final totals over [now − 360 s, now]", () => {
    const now = Date.parse("2026-12-06T18:00:00.000Z");
    expect(finalReadWindow(now)).toEqual({ from: now - 360_000, to: now });
    expect(windowQuery(finalReadWindow(now))).toBe("?from=2026-12-06T17:54:00.000Z&to=2026-12-06T18:00:00.000Z");
  });

  it("audits [now − 15 s, now − 2 s] unless told another end offset", () => {
    const now = Date.parse("2026-12-06T18:00:00.000Z");
    expect(auditWindow(now)).toEqual({ from: now - 15_000, to: now - 2_000 });
    expect(windowQuery(auditWindow(now, 1_500))).toBe("?from=2026-12-06T17:59:45.000Z&to=2026-12-06T17:59:58.500Z");
    expect(() => auditWindow(now, 15_000)).toThrow(/end offset/);
    expect(() => auditWindow(now, -1)).toThrow(/end offset/);
  });

  it("takes the audit end offset from the setting, then the scenario, then 2 s", () => {
    expect(auditEndOffsetMs({})).toBe(2_000);
    expect(auditEndOffsetMs({}, "")).toBe(2_000);
    expect(auditEndOffsetMs({ auditEndOffsetSeconds: 1.5 })).toBe(1_500);
    expect(auditEndOffsetMs({ auditEndOffsetSeconds: 1.5 }, "3")).toBe(3_000);
    expect(auditEndOffsetMs({}, "0")).toBe(0);
    expect(() => auditEndOffsetMs({}, "soon")).toThrow(/audit end offset/);
    expect(() => auditEndOffsetMs({ auditEndOffsetSeconds: 15 })).toThrow(/audit end offset/);
  });

  it("turns a trend of k6's summary data into the result's latency figures", () => {
    const metrics = {
      [CONTEST_LATENCY_METRIC]: { values: { med: 1.23456, "p(90)": 2.5, "p(99)": 9.87654, max: 120.1, count: 1042 } },
      [SERVICE_LATENCY_METRIC]: { values: { med: 1.1, "p(90)": 2.2, "p(99)": 3.3, max: 4.4, count: 1000 } },
    };
    expect(trendFigures(metrics, CONTEST_LATENCY_METRIC)).toEqual({ p50: 1.235, p90: 2.5, p99: 9.877, max: 120.1, count: 1042 });
    expect(trendFigures(metrics, SERVICE_LATENCY_METRIC)).toEqual({ p50: 1.1, p90: 2.2, p99: 3.3, max: 4.4, count: 1000 });
    expect(trendFigures(metrics, "http_req_duration")).toEqual({ p50: 0, p90: 0, p99: 0, max: 0, count: 0 });
  });
});
