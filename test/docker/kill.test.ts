// The system as Docker runs it: the image built from the Dockerfile, compose.yaml
// and compose.processors.yaml brought up (on free host ports and a network of
// their own, so it runs beside anything else here), payments driven through
// the balancer's port 9999 while the processors change delay and failure, and
// under that load the engine's container `docker kill`ed and restarted, then
// an API's container killed while the engine is frozen (docker pause), so what
// it acknowledged sits only in its outbox volume. Every acknowledged payment
// must be paid exactly once, and the service's summary must equal the
// processors' admin summaries over every window. Everything is torn down
// after, volumes and built images included.
//
// Without a Docker engine it is skipped, except in CI (CI=true): there it
// provisions one with ../shared/docker/up.sh, and fails if none can be had.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Compose,
  PROCESSORS_COMPOSE_FILE,
  SERVICE_COMPOSE_FILE,
  dockerAnswers,
  ensureDocker,
  rewriteForTest,
  serviceRoles,
} from "../../scripts/docker.mjs";
import { admin, freePort, type ProcessorUrl } from "../integration/harness.ts";
import { expectEveryAcknowledgedPaymentPaidOnce, sleep, startLoad } from "../integration/load.ts";

const IN_CI = process.env.CI === "true";
const CLIENTS = 20;
const THINK_MS = 100;
// A cap: the load stops when the API is killed.
const LOAD_MS = 60_000;
const KILL_ENGINE_AT_MS = 2_500;
const AFTER_RESTART_MS = 2_000;
const FROZEN_MS = 700;
const WINDOW_MS = 2_000;
// Each step at its time since the load began: [ms, processor, setting, value].
const CHAOS: Array<[number, "default" | "fallback", "delay" | "failure", number | boolean]> = [
  [0, "default", "delay", 100], // payments on the wire when the engine is killed
  [1_500, "default", "failure", true], // default fails: fallback takes over
  [4_000, "default", "failure", false],
  [4_000, "fallback", "delay", 50],
  [6_000, "default", "delay", 0],
];

const canRun = IN_CI || dockerAnswers();
if (!canRun) console.warn("test/docker skipped: no Docker engine answers (../shared/docker/up.sh starts one; CI=true makes this test provision it)");

describe.skipIf(!canRun)("the system under docker-compose", () => {
  const roles = serviceRoles(SERVICE_COMPOSE_FILE);
  const project = `rinhatest${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), "rinha-docker-"));
  let service: Compose | undefined;
  let processors: Compose | undefined;
  let url = "";
  let books: { default: ProcessorUrl; fallback: ProcessorUrl };

  beforeAll(async () => {
    const reason = ensureDocker({ provision: IN_CI, log: (line) => console.log(`[docker] ${line}`) });
    if (reason) throw new Error(`no Docker engine for test/docker: ${reason}`);
    const [lbPort, defaultPort, fallbackPort] = [await freePort(), await freePort(), await freePort()];
    const network = `payment-processor-${project}`;
    const processorsFile = rewriteForTest(PROCESSORS_COMPOSE_FILE, dir, {
      network,
      hostPorts: { "payment-processor-default": defaultPort, "payment-processor-fallback": fallbackPort },
    });
    const serviceFile = rewriteForTest(SERVICE_COMPOSE_FILE, dir, { network, hostPorts: { [roles.balancer]: lbPort } });
    processors = new Compose({ project: `${project}processors`, files: [processorsFile] });
    service = new Compose({ project, files: [serviceFile] });
    url = `http://127.0.0.1:${lbPort}`;
    books = { default: { url: `http://127.0.0.1:${defaultPort}` }, fallback: { url: `http://127.0.0.1:${fallbackPort}` } };

    const t0 = Date.now();
    processors.build();
    service.build();
    const t1 = Date.now();
    await processors.up();
    try {
      await service.up();
    } catch (error) {
      console.log(service.logs());
      throw error;
    }
    const image = service.inspect(roles.engine);
    console.log(
      `[docker] images built in ${((t1 - t0) / 1000).toFixed(1)} s; ${roles.services.join(", ")} healthy ` +
        `${((Date.now() - t1) / 1000).toFixed(1)} s after up (processors included); engine image ${image.Id.slice(0, 12)}`,
    );
  }, 900_000);

  afterAll(() => {
    // Containers, networks, volumes and the images built for this run.
    for (const p of [service, processors]) {
      try {
        p?.down();
      } catch (error) {
        console.warn(`teardown: ${String(error)}`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("pays every acknowledged payment exactly once across docker kills of the engine and of an API", async () => {
    const api = roles.apis[0]!;
    for (const s of roles.services) {
      const { HostConfig } = service!.inspect(s);
      expect(HostConfig.NanoCpus, `${s} runs under a CPU limit`).toBeGreaterThan(0);
      expect(HostConfig.Memory, `${s} runs under a memory limit`).toBeGreaterThan(0);
    }
    const load = startLoad(url, { clients: CLIENTS, loadMs: LOAD_MS, thinkMs: THINK_MS });
    const chaos = Promise.all(
      CHAOS.map(async ([at, p, setting, value]) => {
        await sleep(at);
        await admin.set(books[p], setting, value);
      }),
    );

    await sleep(KILL_ENGINE_AT_MS);
    const before = (await (await fetch(`${url}/internal/stats`)).json()) as { waiting: number };
    const ackedBeforeKill = load.acknowledged.size;
    await service!.kill(roles.engine);
    const killedAt = load.elapsed();
    await service!.start(roles.engine);
    const restartedAt = load.elapsed();
    await sleep(AFTER_RESTART_MS);
    expect(load.acknowledged.size, "load went on after the engine came back").toBeGreaterThan(ackedBeforeKill);

    // Freeze the engine so the outboxes fill: what the API acknowledges now is in its volume only.
    service!.pause(roles.engine, true);
    const ackedBeforeFreeze = load.acknowledged.size;
    await sleep(FROZEN_MS);
    await service!.kill(api);
    // No more load: nothing but the API's own recovery may bring its payments out.
    await load.stopNow();
    const ackedWhileFrozen = load.acknowledged.size - ackedBeforeFreeze;
    service!.pause(roles.engine, false);
    await service!.start(api);
    await chaos;
    console.log(
      `load: ${load.describe()}; engine waiting ${before.waiting} when killed at ${killedAt} ms, healthy again at ${restartedAt} ms; ` +
        `${ackedWhileFrozen} acknowledged while the engine was frozen, then ${api} killed`,
    );
    expect(before.waiting, "the engine's kill lands on unfinished work").toBeGreaterThan(0);
    expect(ackedWhileFrozen, "the API's kill lands on payments only the outboxes hold").toBeGreaterThan(0);

    const windows: Array<[number, number]> = [];
    for (let from = load.started - WINDOW_MS; from < Date.now() + 10_000; from += WINDOW_MS) windows.push([from, from + WINDOW_MS - 1]);
    await expectEveryAcknowledgedPaymentPaidOnce(url, books, load, windows);
    const oomKilled = Object.fromEntries([roles.engine, api].map((s) => [s, service!.inspect(s).State.OOMKilled]));
    expect(oomKilled, "no container was OOM-killed").toEqual({ [roles.engine]: false, [api]: false });
  }, 180_000);
});
