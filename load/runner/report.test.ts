import { describe, expect, it } from "vitest";
import { chaosBands, lineChart, logTicks, niceTicks, renderReport } from "./report.mjs";
import type { RunResult, TimelinePoint } from "./run.mjs";

const chaos = (step: number, at: number, failing = false) => ({
  step,
  at,
  default: { delay: failing ? 2000 : 0, failure: failing },
  fallback: { delay: 0, failure: false },
});

function fakeResult(seconds: number): RunResult {
  const timeline: TimelinePoint[] = Array.from({ length: seconds }, (_, t) => ({
    t,
    vus: t + 1,
    requests: t + 1,
    accepted: t,
    failed: 1,
    p99: t === 3 ? null : 1 + t / 10, // one second with no answers
    queueWaiting: t % 5,
    inFlightDefault: 1,
    inFlightFallback: 0,
    defaultTotal: t * 10,
    fallbackTotal: t,
    chaos: t < 4 ? chaos(0, 0) : chaos(1, 4, true),
    ...(t === 5 ? { audit: { inconsistent: true, countDifference: 3 } } : t === 2 ? { audit: { inconsistent: false, countDifference: 0 } } : {}),
  }));
  return {
    runner: "node",
    scenario: "short<&>",
    maxVUs: 10,
    durationSeconds: seconds - 2,
    requests: { total: 100, accepted: 90, failed: 10 },
    latency: { p50: 1, p90: 2, p99: 3.5, max: 1500, count: 131 },
    latencyService: { p50: 0.75, p90: 1.25, p99: 2.75, max: 1400, count: 90 },
    processors: {
      default: { totalRequests: 80, totalAmount: 1592, totalFee: 79.6 },
      fallback: { totalRequests: 9, totalAmount: 179.1, totalFee: 26.87 },
    },
    service: { default: { totalRequests: 80, totalAmount: 1592 }, fallback: { totalRequests: 9, totalAmount: 179.1 } },
    audits: { count: 2, inconsistent: 1, countDifference: 3 },
    auditEndOffsetSeconds: 2,
    finalRead: { at: "2026-12-06T18:00:00.000Z", windowSeconds: 360, drainSeconds: 0, secondsAfterLoad: 1.25 },
    score: {
      processed: 89,
      gross: 1771.1,
      fees: 106.47,
      net: 1664.63,
      latencyBonus: 0.15,
      fine: 0.35,
      profit: 1244.31,
      lag: 1,
      defaultShare: 0.8989,
      disqualified: false,
    },
    acceptedPerStep: [40, 50],
    timeline,
  };
}

/** Points of every polyline (and lone circle) drawn for a series. */
function pointsOf(svg: string, series: string) {
  let n = 0;
  for (const m of svg.matchAll(new RegExp(`<polyline[^>]*data-series="${series}"[^>]*points="([^"]*)"`, "g"))) n += m[1]!.trim().split(/\s+/).length;
  n += [...svg.matchAll(new RegExp(`<circle data-series="${series}"`, "g"))].length;
  return n;
}

describe("report", () => {
  it("draws one point per second with a value, breaking the line on gaps", () => {
    const values = [1, 2, null, 4, 5, 6, null, 8];
    const svg = lineChart({ id: "c", series: [{ name: "p99", color: "#000", values }], xMax: 8, loadEnd: 8, bands: [], log: true });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(pointsOf(svg, "p99")).toBe(6);
    expect([...svg.matchAll(/<polyline/g)]).toHaveLength(2); // [1,2] and [4,5,6]; 8 is a lone circle
    expect([...svg.matchAll(/<rect class="hover"/g)]).toHaveLength(8);
  });

  it("renders a self-contained page with the score, four charts and the chaos strip", () => {
    const result = fakeResult(30);
    const html = renderReport(result, { generatedAt: new Date(0) });
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html).toContain("short&#60;&#38;&#62;");
    for (const id of ["chart-p99", "chart-throughput", "chart-routing", "chart-queue"]) expect(html).toContain(`id="${id}"`);
    const p99 = html.slice(html.indexOf('id="chart-p99"'), html.indexOf('id="chart-throughput"'));
    expect(pointsOf(p99, "p99")).toBe(29);
    const routing = html.slice(html.indexOf('id="chart-routing"'), html.indexOf('id="chart-queue"'));
    expect(pointsOf(routing, "default \\(cumulative\\)")).toBe(30);
    expect(html).toContain("1,244.31"); // profit
    expect(html).toContain("fined 35%");
    expect([...html.matchAll(/class="audit-bad"/g)]).toHaveLength(1);
    expect([...html.matchAll(/class="audit-ok"/g)]).toHaveLength(1);
    // chaos: two steps, each a segment on both rows; the drain after the load is shaded
    expect([...html.matchAll(/class="seg seg-/g)]).toHaveLength(4);
    expect(html).toContain("seg-fail");
    expect(html).toContain('class="band-drain"');
  });

  it("shows the contest's p99 as the score's, the service's POSTs beside it, and when the final read was taken", () => {
    const html = renderReport(fakeResult(10));
    expect(html).toMatch(/p99 · contest<\/div><div class="value">3\.50 ms<\/div><div class="sub">all 131 requests · POSTs 2\.75 ms/);
    expect(html).toContain("<tr><td>latency p50 / p90</td><td>0.75 / 1.25 ms</td></tr>");
    expect(html).toContain("<tr><td>latency p99 / max</td><td>2.75 / 1,400.00 ms</td></tr>");
    expect(html).toContain("final read <b>1.25 s</b> after the load, no drain");
    const drained = fakeResult(10);
    drained.finalRead.drainSeconds = 2;
    expect(renderReport(drained)).toContain("after a 2.0 s drain");
  });

  it("still renders a result written before latencyService and finalRead existed", () => {
    const { latencyService: _service, finalRead: _read, ...old } = fakeResult(10);
    const html = renderReport(old as unknown as RunResult);
    expect(html).toMatch(/>p99<\/div><div class="value">3\.50 ms<\/div><div class="sub">p50 1\.00 · p90 2\.00/);
    expect(html).toContain("<tr><td>latency p99 / max</td><td>3.50 / 1,500.00 ms</td></tr>");
    expect(html).not.toContain("final read");
  });

  it("says so when the service has no queue stats", () => {
    const result = fakeResult(10);
    for (const p of result.timeline) p.queueWaiting = p.inFlightDefault = p.inFlightFallback = null;
    expect(renderReport(result)).toContain("no GET /internal/stats");
  });

  it("builds bands from the steps seen and picks readable ticks", () => {
    const timeline = fakeResult(10).timeline;
    expect(chaosBands(timeline, 8).map((b) => [b.from, b.to])).toEqual([
      [0, 4],
      [4, 8],
    ]);
    expect(niceTicks(17)).toEqual([0, 5, 10, 15, 20]);
    expect(niceTicks(600, 5)).toEqual([0, 200, 400, 600]);
    expect(logTicks(0.8, 1500)).toEqual([0.1, 1, 10, 100, 1000, 2000]);
    expect(logTicks(1, 13)).toEqual([1, 2, 5, 10, 20]);
    expect(logTicks(1, 100)).toEqual([1, 2, 5, 10, 20, 50, 100]);
  });
});
