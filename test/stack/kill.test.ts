// The production topology run natively (scripts/stack.mjs: nginx on 9999, two
// API instances, the engine, each under its compose.yaml CPU and memory
// limits) against in-process processor stand-ins. Under load, the engine, or
// an API instance holding payments it has not handed over yet, is SIGKILLed
// and brought back: every acknowledged payment must still be paid exactly
// once, and the service's books must equal the processors'.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { admin, startProcessors, type StandIn } from "../integration/harness.ts";
import { expectEveryAcknowledgedPaymentPaidOnce, sleep, startLoad, type Load } from "../integration/load.ts";
import { eatmydataLibrary, killService, nginxObtainable, restartService, startStack, type Stack } from "../../scripts/stack.mjs";

const URL = "http://127.0.0.1:9999";
const CLIENTS = 30;
const LOAD_MS = 8_000;
const KILL_AT_MS = 3_000;
const AFTER_RESTART_MS = 3_000;
const FROZEN_MS = 500;

const canRun = nginxObtainable();
if (!canRun) {
  console.warn("test/stack skipped: nginx is not installed and cannot be installed here (not root); `apt-get install nginx-light` to run it");
}

describe.skipIf(!canRun)("native stack under compose limits", () => {
  let processors: { default: StandIn; fallback: StandIn };
  let stack: Stack | undefined;
  let runDir: string;

  beforeAll(async () => {
    processors = await startProcessors();
    runDir = mkdtempSync(join(tmpdir(), "rinha-stack-"));
    stack = await startStack({
      runDir,
      processors: { default: processors.default.url, fallback: processors.fallback.url },
      logDir: join(runDir, "logs"),
      groupPrefix: "rinha-test-",
      log: (line) => console.log(`[stack] ${line}`),
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await processors?.default.processor.close();
    await processors?.fallback.processor.close();
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  }, 30_000);

  beforeEach(async () => {
    await fetch(`${URL}/purge-payments`, { method: "POST" });
    await admin.purge(processors.default);
    await admin.purge(processors.fallback);
  });

  it("pays every acknowledged payment exactly once across a SIGKILL of the engine under load", async () => {
    for (const s of stack!.stats()) {
      if (stack!.state.cgroups) expect(s.name === "processors (stand-ins)" || s.inGroup, `${s.name} runs inside its cgroups`).toBe(true);
    }
    await admin.set(processors.default, "delay", 200); // keep payments on the wire when the kill comes
    const load = startLoad(URL, { clients: CLIENTS, loadMs: LOAD_MS });

    await sleep(KILL_AT_MS);
    const before = (await (await fetch(`${URL}/internal/stats`)).json()) as { waiting: number };
    const ackedBeforeKill = load.acknowledged.size;
    await killService("engine", "SIGKILL");
    const killedAt = load.elapsed();
    await restartService("engine");
    const restartedAt = load.elapsed();
    await load.runUntil(Date.now() + AFTER_RESTART_MS);
    console.log(
      `load: ${load.describe()} (${ackedBeforeKill} before the kill); waiting at kill ${before.waiting}; ` +
        `killed at ${killedAt} ms, back at ${restartedAt} ms`,
    );
    expect(before.waiting, "the kill lands on unfinished work").toBeGreaterThan(0);
    expect(load.acknowledged.size, "load went on after the restart").toBeGreaterThan(ackedBeforeKill);

    await expectPaidOnce(load);
    const engine = stack!.stats().find((s) => s.name === "engine")!;
    console.log(
      `engine after the run: pid ${engine.pid}, restarts ${stack!.state.services.find((s) => s.name === "engine")!.restarts}, ` +
        `cgroup peak ${((engine.cgroup?.peakBytes ?? 0) / 2 ** 20).toFixed(1)} MiB, throttled ${engine.cgroup?.throttled ?? "-"} periods, OOM kills ${engine.cgroup?.oomKills ?? "-"}`,
    );
  }, 110_000);

  it("pays every acknowledged payment exactly once across a SIGKILL of an API instance holding payments it has not handed over", async () => {
    await admin.set(processors.default, "delay", 0);
    const load = startLoad(URL, { clients: CLIENTS, loadMs: LOAD_MS });
    await sleep(KILL_AT_MS);
    // Freeze the engine so the outboxes fill: what api-1 acknowledges now is on its disk only.
    await killService("engine", "SIGSTOP");
    const ackedBeforeFreeze = load.acknowledged.size;
    await sleep(FROZEN_MS);
    // The outbox as deployed skips fsync (deploy/entrypoint.sh): the kill must find its writes anyway.
    const api1 = stack!.stats().find((s) => s.name === "api-1")!;
    const preload =
      readFileSync(`/proc/${api1.pid}/environ`, "utf8")
        .split("\0")
        .find((v) => v.startsWith("LD_PRELOAD=")) ?? "";
    console.log(`api-1's outbox: ${preload.includes("libeatmydata") ? "no fsync (libeatmydata)" : "fsync on each write"}`);
    const lib = eatmydataLibrary();
    if (lib) expect(preload, "api-1 runs as deployed").toContain(lib);
    await killService("api-1", "SIGKILL");
    // No more load: nothing but api-1's own recovery may bring its payments out.
    await load.stopNow();
    const ackedWhileFrozen = load.acknowledged.size - ackedBeforeFreeze;
    await killService("engine", "SIGCONT");
    await restartService("api-1");
    console.log(`load: ${load.describe()}; ${ackedWhileFrozen} acknowledged while the engine was frozen, then api-1 killed`);
    expect(ackedWhileFrozen, "the kill lands on payments only the outboxes hold").toBeGreaterThan(0);

    await expectPaidOnce(load);
  }, 110_000);

  const expectPaidOnce = (load: Load) => expectEveryAcknowledgedPaymentPaidOnce(URL, processors, load);
});
