// Runs the k6 script (load/k6/rinha.js) for a few seconds through the k6 shim
// against two processor stand-ins and a tiny fake service, and checks the
// result file. No k6 binary exists here: this proves the script's logic runs
// (setup, ramping payments, chaos, audits, teardown, handleSummary), not how
// k6 itself measures.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProcessor, type Processor } from "../../processor-standin/processor.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

type Stored = { processor: "default" | "fallback"; cents: number; at: number };

/**
 * A fake intermediary: forwards each payment to default (fallback when
 * default refuses) before answering 202, and keeps its own books, so its
 * summary agrees with the processors' for every window.
 */
function fakeService(processors: Record<"default" | "fallback", string>) {
  const stored: Stored[] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const reply = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (req.method === "POST" && url.pathname === "/payments") {
      let text = "";
      for await (const chunk of req) text += chunk;
      const { correlationId, amount } = JSON.parse(text) as { correlationId: string; amount: number };
      const requestedAt = new Date().toISOString();
      for (const name of ["default", "fallback"] as const) {
        const answer = await fetch(`${processors[name]}/payments`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ correlationId, amount, requestedAt }),
        });
        await answer.arrayBuffer();
        if (answer.status === 200) {
          stored.push({ processor: name, cents: Math.round(amount * 100), at: Date.parse(requestedAt) });
          break;
        }
      }
      return reply(202);
    }
    if (req.method === "GET" && url.pathname === "/payments-summary") {
      const from = url.searchParams.get("from");
      const to = url.searchParams.get("to");
      const lo = from ? Date.parse(from) : -Infinity;
      const hi = to ? Date.parse(to) : Infinity;
      const totals = (name: "default" | "fallback") => {
        const mine = stored.filter((p) => p.processor === name && p.at >= lo && p.at <= hi);
        return { totalRequests: mine.length, totalAmount: mine.reduce((sum, p) => sum + p.cents, 0) / 100 };
      };
      return reply(200, { default: totals("default"), fallback: totals("fallback") });
    }
    if (req.method === "POST" && url.pathname === "/purge-payments") {
      stored.length = 0;
      return reply(200, { message: "purged" });
    }
    reply(404, { message: "not found" });
  });
  return server;
}

describe("k6 script under the k6 shim", () => {
  const processors: Processor[] = [];
  let service: http.Server;
  let dir: string;
  const urls = { default: "", fallback: "", service: "" };

  beforeAll(async () => {
    for (const [name, fee] of [["default", 0.05], ["fallback", 0.15]] as const) {
      const processor = createProcessor({ fee, name, token: "123" });
      processors.push(processor);
      urls[name] = `http://127.0.0.1:${await processor.listen(0, "127.0.0.1")}`;
    }
    service = fakeService({ default: urls.default, fallback: urls.fallback });
    await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
    urls.service = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
    dir = mkdtempSync(path.join(tmpdir(), "rinha-k6-shim-"));
  });

  afterAll(async () => {
    await Promise.all(processors.map((p) => p.close()));
    service?.closeAllConnections();
    await new Promise((resolve) => service?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs setup, payments, chaos, audits and teardown, and writes the result", async () => {
    const scenarioFile = path.join(dir, "scenario.json");
    writeFileSync(scenarioFile, JSON.stringify({
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
    }));
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
      "runner", "scenario", "maxVUs", "durationSeconds", "requests", "latency", "processors", "service", "audits", "score",
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
