// Runs the contest's load test as k6 runs it: load/k6/rinha.js under the real
// k6 (K6_BIN, or `k6` on PATH; CI puts ../shared/bin there), compressed to a
// few seconds, against the real service (one workerd, fresh build) and the
// processor stand-ins, with default failing halfway. Checks what k6 wrote and,
// independently, that the service paid every payment k6 saw accepted, once.
// Without k6 the test is skipped on a workstation and fails in CI.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { K6_NOT_FOUND, findK6 } from "../../scripts/k6-bin.mjs";
import { admin, drained, serviceSummary, startWorld, type World } from "../integration/harness.ts";

const SCRIPT = fileURLToPath(new URL("../../load/k6/rinha.js", import.meta.url));
const run = promisify(execFile);
const k6 = findK6();
const required = process.env.CI === "true";

describe.skipIf(!k6 && !required)("load/k6/rinha.js under the real k6", () => {
  let world: World | undefined;
  let dir = "";

  beforeAll(async () => {
    if (!k6) return;
    // A failing default spills to fallback within the run, not after 25 s.
    world = await startWorld("single", { FALLBACK_AFTER_MS: "300" });
    dir = mkdtempSync(path.join(tmpdir(), "rinha-k6-"));
  });

  afterAll(async () => {
    await world?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("finds k6", () => {
    expect(k6, K6_NOT_FOUND).not.toBeNull();
  });

  it.runIf(k6)(
    "runs the whole script against the service, and the books agree",
    async () => {
      const { processors, service } = world!;
      const scenarioFile = path.join(dir, "scenario.json");
      writeFileSync(
        scenarioFile,
        JSON.stringify({
          name: "k6-smoke",
          description: "6 s, up to 20 VUs; default fails from 3 s on",
          durationSeconds: 6,
          maxVUs: 20,
          amount: 19.9,
          auditEverySeconds: 1,
          chaos: [
            { at: 0, default: { delay: 0, failure: false }, fallback: { delay: 0, failure: false } },
            { at: 3, default: { delay: 0, failure: true }, fallback: { delay: 5, failure: false } },
          ],
        }),
      );
      const resultFile = path.join(dir, "result.json");
      const { stdout } = await run(k6!.file, ["run", "--quiet", "--no-usage-report", "--address", "", SCRIPT], {
        env: {
          ...process.env,
          SCENARIO_FILE: scenarioFile,
          SERVICE_URL: service.url,
          PROCESSOR_DEFAULT_URL: processors.default.url,
          PROCESSOR_FALLBACK_URL: processors.fallback.url,
          TOKEN: "123",
          INITIAL_TOKEN: "123",
          RESULT_FILE: resultFile,
        },
        timeout: 45_000,
      });
      expect(stdout).toContain("k6-smoke");

      const result = JSON.parse(readFileSync(resultFile, "utf8"));
      expect(result).toMatchObject({ runner: "k6", scenario: "k6-smoke", maxVUs: 20, durationSeconds: 6 });
      // 1 VU ramping to 20 over 6 s, one payment a second each: ~60.
      expect(result.requests.accepted).toBeGreaterThan(30);
      expect(result.requests.failed).toBe(0);
      expect(result.audits.count).toBeGreaterThanOrEqual(3);
      expect(result.audits.inconsistent).toBe(0);
      expect(result.latency.p99).toBeGreaterThan(0);
      expect(result.latency.p99).toBeLessThanOrEqual(result.latency.max);

      // The chaos reached the processors: default failed, so fallback took some.
      await drained(service.url);
      const books = { default: await admin.summary(processors.default), fallback: await admin.summary(processors.fallback) };
      expect(books.default.totalRequests).toBeGreaterThan(0);
      expect(books.fallback.totalRequests).toBeGreaterThan(0);
      // Every payment k6 saw accepted was paid exactly once, and our books say so.
      expect(books.default.totalRequests + books.fallback.totalRequests).toBe(result.requests.accepted);
      const ours = await serviceSummary(service.url);
      expect(ours.default.totalRequests).toBe(books.default.totalRequests);
      expect(ours.fallback.totalRequests).toBe(books.fallback.totalRequests);
    },
    60_000,
  );
});
