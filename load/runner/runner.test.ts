import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomScenario } from "../lib/random-scenario.js";
import { vusAt } from "../lib/score.js";
import { ControlClient } from "./http.mjs";
import { formatResult } from "./index.mjs";
import { startedBy, vuStartTimes } from "./ramp.mjs";
import { auditTimes, chaosPoint } from "./run.mjs";
import { loadScenario } from "./scenario.mjs";
import { LatencyRecorder, SecondBuckets, percentile } from "./stats.mjs";

describe("ramp", () => {
  it("starts VUs exactly when vusAt says they are due", () => {
    for (const [max, duration] of [
      [550, 60],
      [603, 300],
      [5, 4],
      [19, 20],
      [2, 10],
    ] as const) {
      const starts = vuStartTimes(max, duration);
      expect(starts).toHaveLength(max);
      expect(starts[0]).toBe(0);
      expect([...starts].sort((a, b) => a - b)).toEqual(starts);
      for (let t = 0; t <= duration; t += duration / 997) {
        expect(startedBy(starts, t)).toBe(vusAt(max, t, duration));
      }
      expect(startedBy(starts, duration)).toBe(max);
    }
  });

  it("has a single VU from the start when max is 1", () => {
    expect(vuStartTimes(1, 60)).toEqual([0]);
  });
});

describe("scenarios", () => {
  it("loads short and long as written", () => {
    const short = loadScenario("short");
    expect(short).toMatchObject({ name: "short", durationSeconds: 60, maxVUs: 550, amount: 19.9, auditEverySeconds: 10 });
    expect(short.chaos.map((s) => s.at)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(loadScenario("long")).toMatchObject({ durationSeconds: 300, maxVUs: 600 });
  });

  it("finds any file of load/scenarios/ by its bare name, and names what it cannot find", () => {
    expect(loadScenario("final").name).toBe("final");
    expect(loadScenario("load/scenarios/final.json").name).toBe("final");
    expect(() => loadScenario("finale")).toThrow('no scenario "finale"');
    expect(() => loadScenario("../etc/passwd")).toThrow("no scenario");
  });

  it("compresses the schedule into --duration and takes --max-requests as the peak VUs, like k6", () => {
    const s = loadScenario("short", { duration: 20, maxRequests: 200 });
    expect(s.durationSeconds).toBe(20);
    expect(s.chaos.map((c) => c.at)).toEqual([0, 3.3, 6.7, 10, 13.3, 16.7]);
    expect(s.chaos[3]!.default).toEqual({ delay: 2000, failure: true });
    expect(s.maxVUs).toBe(200);
    expect(loadScenario("short", { maxRequests: 600 }).maxVUs).toBe(600);
  });

  it("draws random schedules from the shared generator", () => {
    const s = loadScenario("random", { seed: 7, duration: 90 });
    expect(s).toEqual(randomScenario(7, { durationSeconds: 90 }));
    expect(s.name).toBe("random-7");
    expect(loadScenario("random").name).toMatch(/^random-\d+$/);
  });

  it("audits every auditEverySeconds through the end, and knows the step in force", () => {
    expect(auditTimes(10, 60)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(auditTimes(10, 25)).toEqual([10, 20]);
    expect(auditTimes(0, 25)).toEqual([]);
    const chaos = loadScenario("short").chaos;
    expect(chaosPoint(chaos, 25)).toEqual({ step: 2, at: 20, default: { delay: 100, failure: true }, fallback: { delay: 0, failure: false } });
  });
});

describe("per-second aggregation", () => {
  it("buckets by completion second, counting accepted and failed, with each second's p99", () => {
    const b = new SecondBuckets();
    for (let i = 1; i <= 100; i++) b.add(0.5, i, i % 10 !== 0);
    b.add(2.99, 1500, false);
    expect(b.summarize(0)).toEqual({ requests: 100, accepted: 90, failed: 10, p99: 99 });
    expect(b.summarize(1)).toEqual({ requests: 0, accepted: 0, failed: 0, p99: null });
    expect(b.summarize(2)).toEqual({ requests: 1, accepted: 0, failed: 1, p99: 1500 });
    expect(b.summarize(9)).toEqual({ requests: 0, accepted: 0, failed: 0, p99: null });
  });

  it("takes nearest-rank percentiles", () => {
    expect(percentile([], 99)).toBeNull();
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([3, 1, 2, 4], 50)).toBe(2);
    expect(percentile([10, 1, 2, 3, 4, 5, 6, 7, 8, 9], 99)).toBe(10);
  });

  it("reports whole-run percentiles from the HDR histogram in ms with 2 decimals", () => {
    const r = new LatencyRecorder();
    expect(r.summary()).toEqual({ p50: 0, p90: 0, p99: 0, max: 0, count: 0 });
    for (let i = 1; i <= 1000; i++) r.record(i / 100); // 0.01 .. 10 ms
    const s = r.summary();
    expect(s.p50).toBeCloseTo(5, 1);
    expect(s.p90).toBeCloseTo(9, 1);
    expect(s.p99).toBeCloseTo(9.9, 1);
    expect(s.max).toBe(10);
    r.record(1500);
    expect(r.summary().max).toBe(1500);
    expect(r.count).toBe(1001);
    expect(r.summary().count).toBe(1001);
  });
});

describe("result file", () => {
  it("writes one line per timeline second and parses back to the same object", () => {
    const result = {
      runner: "node",
      scenario: "x",
      maxVUs: 1,
      durationSeconds: 1,
      requests: { total: 1, accepted: 1, failed: 0 },
      latency: { p50: 1, p90: 1, p99: 1, max: 1, count: 3 },
      latencyService: { p50: 1, p90: 1, p99: 1, max: 1, count: 1 },
      processors: { default: { totalRequests: 1, totalAmount: 1, totalFee: 0.05 }, fallback: { totalRequests: 0, totalAmount: 0, totalFee: 0 } },
      service: { default: { totalRequests: 1, totalAmount: 1 }, fallback: { totalRequests: 0, totalAmount: 0 } },
      audits: { count: 0, inconsistent: 0, countDifference: 0 },
      auditEndOffsetSeconds: 2,
      finalRead: { at: "2026-12-06T18:00:00.000Z", windowSeconds: 360, drainSeconds: 0, secondsAfterLoad: 0.3 },
      score: {
        processed: 1,
        gross: 1,
        fees: 0.05,
        net: 0.95,
        latencyBonus: 0.2,
        fine: 0,
        profit: 1.14,
        lag: 0,
        defaultShare: 1,
        disqualified: false,
      },
      timeline: [0, 1].map((t) => ({
        t,
        vus: 1,
        requests: 1,
        accepted: 1,
        failed: 0,
        p99: 1,
        queueWaiting: null,
        inFlightDefault: null,
        inFlightFallback: null,
        defaultTotal: 1,
        fallbackTotal: 0,
        chaos: { step: 0, at: 0, default: { delay: 0, failure: false }, fallback: { delay: 0, failure: false } },
      })),
    } as const;
    const text = formatResult(structuredClone(result) as never);
    expect(JSON.parse(text)).toEqual(result);
    expect(text.split("\n").filter((l) => l.includes('"t":'))).toHaveLength(2);
    expect(JSON.parse(formatResult({ ...structuredClone(result), timeline: [] } as never)).timeline).toEqual([]);
  });
});

describe("control client timing", () => {
  let server: http.Server;
  let base = "";
  const slowMs = 40;

  beforeAll(async () => {
    // /status/N answers N; /slow answers 200 after slowMs.
    server = http.createServer((req, res) => {
      req.resume();
      const status = /^\/status\/(\d+)$/.exec(req.url ?? "");
      if (status) return void res.writeHead(Number(status[1])).end();
      setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end("{}"), slowMs);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("times every call with an expected response, as k6's http_req_duration{expected_response:true}", async () => {
    const latency = new LatencyRecorder();
    const control = new ControlClient({ latency });
    try {
      for (const status of [200, 204, 302, 401, 404, 429, 500]) {
        expect((await control.call(`${base}/status/${status}`, { method: "PUT", json: {} })).status).toBe(status);
      }
      expect(latency.count).toBe(3); // 200, 204, 302
      await control.call(`${base}/slow`);
      expect(latency.count).toBe(4);
      expect(latency.summary().max).toBeGreaterThanOrEqual(slowMs - 1);
      // the runner's own polling is not part of the test the contest runs
      await control.call(`${base}/slow`, { measured: false });
      await expect(control.expectOk(`${base}/status/503`)).rejects.toThrow(/503/);
      expect(latency.count).toBe(4);
    } finally {
      await control.close();
    }
  });

  it("times nothing without a recorder", async () => {
    const control = new ControlClient();
    try {
      expect((await control.call(`${base}/status/200`)).status).toBe(200);
    } finally {
      await control.close();
    }
  });
});
