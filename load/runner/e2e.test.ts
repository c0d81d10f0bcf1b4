// One short run of the real runner against two in-process processor
// stand-ins and a tiny fake service that pays each payment synchronously.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProcessor, type Processor } from "../../processor-standin/processor.ts";
import { startFakeService, type FakeService } from "../fake-service.ts";
import { runLoadOnly, runScenario } from "./run.mjs";
import type { RunnerScenario } from "./scenario.mjs";

describe("runScenario end to end", () => {
  let processors: Processor[] = [];
  let service: FakeService;
  const urls = { default: "", fallback: "", service: "" };

  beforeAll(async () => {
    processors = [createProcessor({ fee: 0.05, name: "default" }), createProcessor({ fee: 0.15, name: "fallback" })];
    const [d, f] = await Promise.all(processors.map((p) => p.listen(0, "127.0.0.1")));
    urls.default = `http://127.0.0.1:${d}`;
    urls.fallback = `http://127.0.0.1:${f}`;
    service = await startFakeService({ default: urls.default, fallback: urls.fallback });
    urls.service = service.url;
  });

  afterAll(async () => {
    await service?.close();
    await Promise.all(processors.map((p) => p.close()));
  });

  it("ramps, applies chaos, audits and scores a 4 s run", async () => {
    const scenario: RunnerScenario = {
      name: "e2e",
      description: "",
      durationSeconds: 4,
      maxVUs: 5,
      amount: 19.9,
      auditEverySeconds: 2,
      chaos: [
        { at: 0, default: { delay: 0, failure: false }, fallback: { delay: 0, failure: false } },
        { at: 2, default: { delay: 20, failure: false }, fallback: { delay: 0, failure: true } },
      ],
    };
    const before = Date.now();
    const result = await runScenario(scenario, {
      serviceUrl: urls.service,
      processors: { default: urls.default, fallback: urls.fallback },
      token: "123",
      initialToken: "stale",
      quiet: true, // the token is already set: PUT again with it
    });

    expect(Object.keys(result).sort()).toEqual([
      "acceptedPerStep",
      "auditEndOffsetSeconds",
      "audits",
      "durationSeconds",
      "finalRead",
      "latency",
      "latencyService",
      "maxVUs",
      "processors",
      "requests",
      "runner",
      "scenario",
      "score",
      "service",
      "timeline",
    ]);
    expect(result).toMatchObject({ runner: "node", scenario: "e2e", maxVUs: 5, durationSeconds: 4 });
    const { requests, latency, audits, score } = result;
    // 1 → 5 VUs over 4 s, one payment a second each: about a dozen
    expect(requests.accepted).toBeGreaterThan(5);
    expect(requests.total).toBeLessThanOrEqual(30);
    expect(requests.failed).toBe(0);
    expect(requests.total).toBe(requests.accepted + requests.failed);
    for (const key of ["p50", "p90", "p99", "max"] as const) expect(latency[key]).toBeGreaterThan(0);
    expect(latency.p50).toBeLessThanOrEqual(latency.p99);
    expect(latency.max).toBeGreaterThanOrEqual(20); // default was 20 ms slow for the second half
    // The contest's latency is over every request with an expected response; the service's over its POSTs.
    // Besides the POSTs: 2 token PUTs (the refused first try with "stale" is not expected), 2 processor purges,
    // the service purge, 4 PUTs resetting the processors and 4 for step 0, 4 for the step at 2 s, 2 audits of
    // 3 summaries each, and the 3 summaries of the final read: 26. The once-a-second polls are not counted.
    expect(result.latencyService.count).toBe(requests.accepted);
    expect(latency.count).toBe(requests.accepted + 26);
    expect(result.latencyService.p99).toBeLessThanOrEqual(result.latencyService.max);
    expect(result.latencyService.max).toBeLessThanOrEqual(latency.max);
    // The final read at once, over [now − 360 s, now]; audits end 2 s ago.
    expect(result.auditEndOffsetSeconds).toBe(2);
    expect(result.finalRead).toMatchObject({ windowSeconds: 360, drainSeconds: 0 });
    expect(Date.parse(result.finalRead.at)).toBeGreaterThanOrEqual(before + 4_000);
    // As under k6, the VUs' last iterations end first, their 1 s sleep included: the VU that joined at 3.5 s
    // posts then and sleeps past 4.5 s, so the read comes about half a second after the ramp at least.
    expect(result.finalRead.secondsAfterLoad).toBeGreaterThan(0.25);
    expect(result.finalRead.secondsAfterLoad).toBeLessThan(2.6);
    expect(audits).toEqual({ count: 2, inconsistent: 0, countDifference: 0 });
    expect(result.processors.default).toMatchObject({ totalRequests: requests.accepted });
    expect(result.processors.default.totalFee).toBeCloseTo(requests.accepted * 19.9 * 0.05, 2);
    expect(result.processors.fallback.totalRequests).toBe(0);
    expect(result.processors.default.feePerTransaction).toBe(0.05);
    expect(result.processors.fallback.feePerTransaction).toBe(0.15);
    // accepted payments by the step they were sent in: both steps had some (1 VU, then up to 5)
    expect(result.acceptedPerStep).toHaveLength(2);
    expect(result.acceptedPerStep[0]! + result.acceptedPerStep[1]!).toBe(requests.accepted);
    expect(result.acceptedPerStep[0]).toBeGreaterThan(0);
    expect(result.acceptedPerStep[1]).toBeGreaterThan(result.acceptedPerStep[0]!);
    expect(result.service.default).toEqual({
      totalRequests: requests.accepted,
      totalAmount: result.processors.default.totalAmount,
    });
    expect(score).toMatchObject({ processed: requests.accepted, lag: 0, fine: 0, defaultShare: 1, disqualified: false });
    expect(score.profit).toBeGreaterThan(0);

    // timeline: a point per second, counts adding up, chaos and audits marked, no /internal/stats here
    const { timeline } = result;
    expect(timeline.length).toBeGreaterThanOrEqual(4);
    expect(timeline.map((p) => p.t)).toEqual(timeline.map((_, i) => i));
    expect(timeline.reduce((sum, p) => sum + p.requests, 0)).toBe(requests.total);
    expect(timeline[0]!.chaos.step).toBe(0);
    expect(timeline[3]!.chaos).toMatchObject({ step: 1, default: { delay: 20 }, fallback: { failure: true } });
    // Each audit marks the second it ran in; on a busy machine both may land in the same one.
    const marked = timeline.filter((p) => p.audit).length;
    expect(marked).toBeGreaterThanOrEqual(1);
    expect(marked).toBeLessThanOrEqual(audits.count);
    expect(timeline.every((p) => p.queueWaiting === null)).toBe(true);
    expect(timeline[2]!.defaultTotal).toBeGreaterThan(0);
    expect(Math.max(...timeline.map((p) => p.vus))).toBe(5);

    // the processors were left as the last chaos step set them
    const health = await fetch(`${urls.fallback}/admin/payments-summary`, { headers: { "x-rinha-token": "123" } });
    expect(health.status).toBe(200);
  }, 15_000);
});

describe("runLoadOnly", () => {
  let server: http.Server;
  let url = "";
  const seen = { posts: 0, other: 0 };

  beforeAll(async () => {
    // A bare 202 for POST /payments; anything else (setup, audits, polling) would be counted and fail the test.
    server = http.createServer((req, res) => {
      req.resume();
      if (req.method === "POST" && req.url === "/payments") {
        seen.posts++;
        res.writeHead(202).end();
      } else {
        seen.other++;
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("drives the same ramp of POSTs and nothing else: no processors, setup, chaos, audits or score", async () => {
    const scenario: RunnerScenario = {
      name: "floor",
      description: "",
      durationSeconds: 2,
      maxVUs: 4,
      amount: 19.9,
      auditEverySeconds: 1,
      chaos: [
        { at: 0, default: { delay: 0, failure: false }, fallback: { delay: 0, failure: false } },
        { at: 1, default: { delay: 0, failure: true }, fallback: { delay: 0, failure: false } },
      ],
    };
    const started = performance.now();
    const result = await runLoadOnly(scenario, { serviceUrl: url, quiet: true });
    expect(performance.now() - started).toBeLessThan(3500); // no settle wait, no final summaries

    expect(Object.keys(result).sort()).toEqual([
      "acceptedPerStep",
      "durationSeconds",
      "latency",
      "latencyService",
      "loadOnly",
      "maxVUs",
      "requests",
      "runner",
      "scenario",
      "score",
      "timeline",
    ]);
    expect(result).toMatchObject({ runner: "node", scenario: "floor", maxVUs: 4, durationSeconds: 2, loadOnly: true, score: null });
    const { requests, latency } = result;
    // 1 → 4 VUs over 2 s, a POST then 1 s of sleep each: between 4 and 8
    expect(requests.total).toBeGreaterThanOrEqual(4);
    expect(requests.total).toBeLessThanOrEqual(8);
    expect(requests).toEqual({ total: requests.total, accepted: requests.total, failed: 0 });
    expect(seen).toEqual({ posts: requests.total, other: 0 });
    expect(latency.p50).toBeGreaterThan(0);
    expect(latency.p50).toBeLessThanOrEqual(latency.p99);
    expect(latency.p99).toBeLessThanOrEqual(latency.max);
    expect(result.latencyService).toEqual(latency); // the POSTs are its only requests
    expect(latency.count).toBe(requests.total);
    expect(result.acceptedPerStep.reduce((a, b) => a + b, 0)).toBe(requests.accepted);
    expect(result.timeline.reduce((sum, p) => sum + p.requests, 0)).toBe(requests.total);
    expect(result.timeline.every((p) => p.defaultTotal === null && p.queueWaiting === null && !p.audit)).toBe(true);
  }, 10_000);
});
