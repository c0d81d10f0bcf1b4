// Runs the k6 script (load/k6/rinha.js) for a few seconds through the k6 shim
// against two processor stand-ins and a tiny fake service, and checks the
// result file. No k6 binary exists here: this proves the script's logic runs
// (setup, ramping payments, chaos, audits, teardown, handleSummary), not how
// k6 itself measures.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProcessor, type Processor } from "../../processor-standin/processor.ts";
import { startFakeService, type FakeService } from "../fake-service.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

describe("k6 script under the k6 shim", () => {
  const processors: Processor[] = [];
  let service: FakeService;
  let dir: string;
  const urls = { default: "", fallback: "", service: "" };

  beforeAll(async () => {
    for (const [name, fee] of [
      ["default", 0.05],
      ["fallback", 0.15],
    ] as const) {
      const processor = createProcessor({ fee, name, token: "123" });
      processors.push(processor);
      urls[name] = `http://127.0.0.1:${await processor.listen(0, "127.0.0.1")}`;
    }
    service = await startFakeService({ default: urls.default, fallback: urls.fallback });
    urls.service = service.url;
    dir = mkdtempSync(path.join(tmpdir(), "rinha-k6-shim-"));
  });

  afterAll(async () => {
    await Promise.all(processors.map((p) => p.close()));
    await service?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs setup, payments, chaos, audits and teardown, and writes the result", async () => {
    const scenarioFile = path.join(dir, "scenario.json");
    writeFileSync(
      scenarioFile,
      JSON.stringify({
        name: "shim-smoke",
        description: "4 s, 5 VUs; default starts failing at 2 s",
        durationSeconds: 4,
        maxVUs: 5,
        amount: 19.9,
        auditEverySeconds: 1,
        chaos: [
          { at: 0, default: { delay: 0, failure: false }, fallback: { delay: 0, failure: false } },
          { at: 2, default: { delay: 0, failure: true }, fallback: { delay: 5, failure: false } },
        ],
      }),
    );
    const resultFile = path.join(dir, "result.json");
    const { stdout } = await run(process.execPath, [path.join(here, "shim/run.js"), path.join(here, "rinha.js")], {
      env: {
        ...process.env,
        SCENARIO_FILE: scenarioFile,
        SERVICE_URL: urls.service,
        PROCESSOR_DEFAULT_URL: urls.default,
        PROCESSOR_FALLBACK_URL: urls.fallback,
        TOKEN: "shim-token",
        INITIAL_TOKEN: "123",
        RESULT_FILE: resultFile,
        DRAIN_SECONDS: "0.2",
      },
      timeout: 30_000,
    });
    expect(stdout).toContain("rinha k6 shim-smoke");

    const result = JSON.parse(readFileSync(resultFile, "utf8"));
    const totals = { totalRequests: expect.any(Number), totalAmount: expect.any(Number) };
    expect(Object.keys(result)).toEqual([
      "runner",
      "scenario",
      "maxVUs",
      "durationSeconds",
      "requests",
      "latency",
      "processors",
      "service",
      "audits",
      "score",
    ]);
    expect(result).toEqual({
      runner: "k6",
      scenario: "shim-smoke",
      maxVUs: 5,
      durationSeconds: 4,
      requests: { total: expect.any(Number), accepted: expect.any(Number), failed: 0 },
      latency: { p50: expect.any(Number), p90: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) },
      processors: {
        default: { ...totals, totalFee: expect.any(Number) },
        fallback: { ...totals, totalFee: expect.any(Number) },
      },
      service: { default: totals, fallback: totals },
      audits: { count: expect.any(Number), inconsistent: 0, countDifference: 0 },
      score: {
        processed: expect.any(Number),
        gross: expect.any(Number),
        fees: expect.any(Number),
        net: expect.any(Number),
        latencyBonus: expect.any(Number),
        fine: 0,
        profit: expect.any(Number),
        lag: 0,
        defaultShare: expect.any(Number),
        disqualified: false,
      },
    });
    // 1 VU ramping to 5 over 4 s, one payment a second each: about a dozen.
    expect(result.requests.accepted).toBeGreaterThan(5);
    expect(result.requests.total).toBe(result.requests.accepted);
    // Chaos ran: default failed from 2 s on, so fallback took the rest.
    expect(result.processors.default.totalRequests).toBeGreaterThan(0);
    expect(result.processors.fallback.totalRequests).toBeGreaterThan(0);
    expect(result.service.default.totalRequests).toBe(result.processors.default.totalRequests);
    expect(result.service.fallback.totalRequests).toBe(result.processors.fallback.totalRequests);
    expect(result.score.processed).toBe(result.requests.accepted);
    expect(result.audits.count).toBeGreaterThanOrEqual(3);
    expect(result.latency.max).toBeGreaterThan(0);
    expect(result.latency.p99).toBeLessThanOrEqual(result.latency.max);
    expect(result.score.profit).toBeGreaterThan(0);
  }, 30_000);
});
