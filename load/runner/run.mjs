// @ts-check
// The Node load runner: the contest's load test (docs/contract.md §4) as closed-loop VUs
// on undici, with the same setup, chaos, audits and scoring as the k6 script,
// plus a per-second timeline for the report. Measured as the contest does
// (load/lib/measure.js): `latency` (the p99 that scores) is over every request
// of the test with an expected response, the processors' admin calls included;
// `latencyService` over the service's POSTs alone; the final read is taken the
// moment the load ends, over [now − 360 s, now].
import { FINAL_READ_WINDOW_MS, auditEndOffsetMs, auditWindow, finalReadWindow, isExpectedStatus, windowQuery } from "../lib/measure.js";
import { chaosAt, score } from "../lib/score.js";
import { ControlClient, PAYMENT_TIMEOUT_MS, ServiceClient, describe } from "./http.mjs";
import { startedBy, vuStartTimes } from "./ramp.mjs";
import { LatencyRecorder, SecondBuckets } from "./stats.mjs";

/**
 * @typedef {import("./scenario.mjs").RunnerScenario} RunnerScenario
 * @typedef {import("./scenario.mjs").ChaosStep} ChaosStep
 * @typedef {import("./stats.mjs").LatencySummary} LatencySummary
 * @typedef {"default" | "fallback"} ProcessorName
 * @typedef {{ totalRequests: number, totalAmount: number, totalFee: number, feePerTransaction?: number }} ProcessorBook
 *   feePerTransaction as the processor's admin summary gives it (0.05 = 5%), when it does
 * @typedef {{ totalRequests: number, totalAmount: number }} ServiceBook
 * @typedef {{ delay: number, failure: boolean }} ProcessorChaos
 * @typedef {{ step: number, at: number, default: ProcessorChaos, fallback: ProcessorChaos }} TimelineChaos
 * @typedef {{ inconsistent: boolean, countDifference: number, error?: string, serviceMinusProcessor?: { default: number, fallback: number } }} TimelineAudit
 *   serviceMinusProcessor tells which way a mismatch went: negative means the processor had a payment
 *   the service had not booked yet, positive the other way round
 * @typedef {{
 *   t: number, vus: number, requests: number, accepted: number, failed: number, p99: number | null,
 *   queueWaiting: number | null, inFlightDefault: number | null, inFlightFallback: number | null,
 *   defaultTotal: number | null, fallbackTotal: number | null, chaos: TimelineChaos, audit?: TimelineAudit
 * }} TimelinePoint
 *   one per second of the run and its drain: t is the second [t, t+1) since the load began; vus the most
 *   VUs alive in it (after the load: those still finishing their last iteration); requests,
 *   accepted, failed and p99 (ms) are of the POSTs that completed in it; the gauges were read at its end
 *   (queueWaiting and inFlight* from the service's GET /internal/stats when it has one; *Total are the
 *   processors' cumulative counts); audit is set on the second an audit ran
 * @typedef {ReturnType<typeof score>} Score
 * @typedef {{ at: string, windowSeconds: number, drainSeconds: number, secondsAfterLoad: number }} FinalRead
 *   at: when the final summaries were asked for, over [at − windowSeconds, at]; drainSeconds: the wait
 *   (settleMs) after the load; secondsAfterLoad: from the end of the ramp (its duration, or an abort) to `at`: as
 *   under k6, the VUs' last iterations (their 1 s sleep included) end first, so about a second
 * @typedef {{
 *   runner: "node", scenario: string, maxVUs: number, durationSeconds: number,
 *   requests: { total: number, accepted: number, failed: number },
 *   latency: LatencySummary,
 *   latencyService: LatencySummary,
 *   processors: { default: ProcessorBook, fallback: ProcessorBook },
 *   service: { default: ServiceBook, fallback: ServiceBook },
 *   audits: { count: number, inconsistent: number, countDifference: number },
 *   auditEndOffsetSeconds: number,
 *   finalRead: FinalRead,
 *   score: Score,
 *   acceptedPerStep: number[],
 *   timeline: TimelinePoint[]
 * }} RunResult
 *   latency: the contest's, what the score's p99 is: every request of the test that got an expected response
 *   (k6's http_req_duration{expected_response:true}): the POSTs, the service's purge and summaries, and the
 *   processors' admin calls (token, purge, chaos PUTs, summaries); not the runner's once-a-second polls,
 *   which the contest's test does not make. latencyService: POST /payments with an expected response only.
 *   Reports written before both existed have `latency` only, over the service's requests (failures too).
 *   acceptedPerStep: POSTs answered 2xx, by the chaos step in force when each was sent (index as scenario.chaos)
 * @typedef {{
 *   runner: "node", scenario: string, maxVUs: number, durationSeconds: number, loadOnly: true,
 *   requests: { total: number, accepted: number, failed: number },
 *   latency: LatencySummary,
 *   latencyService: LatencySummary,
 *   score: null,
 *   acceptedPerStep: number[],
 *   timeline: TimelinePoint[]
 * }} LoadOnlyResult
 *   runLoadOnly's result: the load and its latencies, no processors, audits or score (its only requests are
 *   the POSTs, so latency and latencyService are the same)
 * @typedef {{
 *   serviceUrl?: string,
 *   processors?: { default?: string, fallback?: string },
 *   token?: string,
 *   initialToken?: string,
 *   quiet?: boolean,
 *   progress?: (line: string, final: boolean) => void,
 *   settleMs?: number,
 *   auditEndOffsetMs?: number,
 *   maxRequests?: number,
 *   signal?: AbortSignal,
 * }} RunOptions
 * @typedef {Pick<RunOptions, "serviceUrl" | "quiet" | "progress" | "settleMs" | "maxRequests" | "signal">} LoadOnlyOptions
 *   Unset URLs and tokens come from SERVICE_URL, PROCESSOR_DEFAULT_URL, PROCESSOR_FALLBACK_URL, TOKEN,
 *   INITIAL_TOKEN, then the defaults (localhost:9999/8001/8002, "123"). quiet: nothing on stderr.
 *   progress replaces the stderr line: called once a second, then once with final = true and "".
 *   settleMs: a wait between the last answer and the final summaries (0: the contest reads at once).
 *   auditEndOffsetMs: audits compare [now − 15 s, now − this] (default: AUDIT_END_OFFSET_SECONDS from the
 *   environment, else the scenario's auditEndOffsetSeconds, else 2 s). maxRequests caps the
 *   POSTs (default scenario.maxRequests). signal ends the load early; the results are still gathered.
 */

const PROCESSORS = /** @type {const} */ (["default", "fallback"]);

/** @param {number} ms */
const iso = (ms) => new Date(ms).toISOString();

/** @param {ProcessorChaos} c */
const describeChaos = (c) => `${c.delay}ms ${c.failure ? "FAIL" : "ok"}`;

/** @param {ChaosStep[]} chaos @param {number} seconds @returns {TimelineChaos} */
export function chaosPoint(chaos, seconds) {
  const step = chaosAt(chaos, seconds);
  if (!step) return { step: -1, at: 0, default: { delay: 0, failure: false }, fallback: { delay: 0, failure: false } };
  return {
    step: chaos.indexOf(step),
    at: step.at,
    default: { delay: step.default.delay, failure: step.default.failure },
    fallback: { delay: step.fallback.delay, failure: step.fallback.failure },
  };
}

/**
 * Seconds at which audits run: every `every` seconds, up to the end of the load.
 * @param {number} every @param {number} durationSeconds
 */
export function auditTimes(every, durationSeconds) {
  /** @type {number[]} */
  const times = [];
  if (!(every > 0)) return times;
  for (let t = every; t <= durationSeconds + 1e-9; t += every) times.push(t);
  return times;
}

/** @param {unknown} body @returns {ServiceBook} */
function serviceBook(body) {
  const b = /** @type {Partial<ServiceBook> | undefined} */ (body);
  return { totalRequests: Number(b?.totalRequests ?? 0), totalAmount: Number(b?.totalAmount ?? 0) };
}

/** @param {unknown} body @returns {ProcessorBook} */
function processorBook(body) {
  const b = /** @type {Partial<ProcessorBook> | undefined} */ (body);
  /** @type {ProcessorBook} */
  const book = {
    totalRequests: Number(b?.totalRequests ?? 0),
    totalAmount: Number(b?.totalAmount ?? 0),
    totalFee: Number(b?.totalFee ?? 0),
  };
  if (b?.feePerTransaction !== undefined && Number.isFinite(Number(b.feePerTransaction))) {
    book.feePerTransaction = Number(b.feePerTransaction);
  }
  return book;
}

/** @param {unknown} body @returns {{ default: ServiceBook, fallback: ServiceBook }} */
function serviceSummary(body) {
  const b = /** @type {{ default?: unknown, fallback?: unknown } | null} */ (body);
  if (!b || typeof b !== "object" || !b.default || !b.fallback) {
    throw new Error(`unexpected service summary: ${JSON.stringify(body)}`);
  }
  return { default: serviceBook(b.default), fallback: serviceBook(b.fallback) };
}

/**
 * Runs one scenario against a running service and its two processors.
 * @param {RunnerScenario} scenario
 * @param {RunOptions} [options]
 * @returns {Promise<RunResult>}
 */
export async function runScenario(scenario, options = {}) {
  return /** @type {Promise<RunResult>} */ (run(scenario, options, false));
}

/**
 * Only the scenario's load (the same ramp of VUs POSTing payments) against anything that answers
 * POST /payments: no processors, so no setup, chaos, audits, gauges or score. The bench's latency
 * floor drives a bare worker with it.
 * @param {RunnerScenario} scenario
 * @param {LoadOnlyOptions} [options]
 * @returns {Promise<LoadOnlyResult>}
 */
export async function runLoadOnly(scenario, options = {}) {
  return /** @type {Promise<LoadOnlyResult>} */ (run(scenario, options, true));
}

/**
 * @param {RunnerScenario} scenario @param {RunOptions} options @param {boolean} loadOnly
 * @returns {Promise<RunResult | LoadOnlyResult>}
 */
async function run(scenario, options, loadOnly) {
  const env = process.env;
  const serviceUrl = (options.serviceUrl ?? env.SERVICE_URL ?? "http://localhost:9999").replace(/\/$/, "");
  const urls = {
    default: (options.processors?.default ?? env.PROCESSOR_DEFAULT_URL ?? "http://localhost:8001").replace(/\/$/, ""),
    fallback: (options.processors?.fallback ?? env.PROCESSOR_FALLBACK_URL ?? "http://localhost:8002").replace(/\/$/, ""),
  };
  const token = options.token ?? env.TOKEN ?? "123";
  const initialToken = options.initialToken ?? env.INITIAL_TOKEN ?? "123";
  const settleMs = options.settleMs ?? 0;
  const auditEndMs = options.auditEndOffsetMs ?? auditEndOffsetMs(scenario, env.AUDIT_END_OFFSET_SECONDS);
  auditWindow(0, auditEndMs); // refuses an offset out of range before anything runs
  const maxRequests = options.maxRequests ?? scenario.maxRequests ?? Infinity;
  const { durationSeconds, maxVUs, amount } = scenario;
  const admin = { "x-rinha-token": token };

  const progress = options.progress ?? (options.quiet ? undefined : stderrProgress());
  /** @param {string} message */
  const warn = (message) => {
    if (!options.quiet) process.stderr.write(`${process.stderr.isTTY ? "\r\x1b[2K" : ""}load: ${message}\n`);
  };

  // The contest's latency: every request with an expected response, as k6's
  // http_req_duration{expected_response:true}: the POSTs, and every setup, chaos, audit and final-read
  // call to the service or the processors (the control client times those). The service's POSTs alone beside it.
  const latency = new LatencyRecorder();
  const latencyService = new LatencyRecorder();
  const control = new ControlClient({ latency });
  const service = new ServiceClient(serviceUrl, { connections: maxVUs + 16 });
  try {
    // ---- setup: tokens, purge all three, processors healthy and quick
    /** @template T @param {string} what @param {() => Promise<T>} fn */
    const setup = async (what, fn) => {
      try {
        return await fn();
      } catch (error) {
        throw new Error(`setup: ${what}: ${describe(error)}`);
      }
    };
    if (!loadOnly)
      for (const name of PROCESSORS) {
        await setup(`${name} processor at ${urls[name]}`, () => setToken(control, urls[name], initialToken, token));
      }
    if (!loadOnly) {
      await setup("purging the processors", () =>
        Promise.all(PROCESSORS.map((name) => control.expectOk(`${urls[name]}/admin/purge-payments`, { method: "POST", headers: admin }))),
      );
      await setup(`service at ${serviceUrl}`, () => control.expectOk(`${serviceUrl}/purge-payments`, { method: "POST" }));
      await setup("resetting the processors", async () => {
        await applyChaos({ default: { delay: 0, failure: false }, fallback: { delay: 0, failure: false } });
        const first = scenario.chaos.filter((step) => step.at <= 0).at(-1);
        if (first) await applyChaos(first);
      });
    }

    // ---- the run
    const startedAt = Date.now();
    // The whole run, with room on both sides; everything older was purged.
    const wholeRun = () => `?from=${iso(startedAt - 3_600_000)}&to=${iso(Date.now() + 3_600_000)}`;
    const t0 = performance.now();
    const elapsed = () => (performance.now() - t0) / 1000;
    const seconds = new SecondBuckets();
    const counts = { total: 0, accepted: 0, failed: 0, issued: 0 };
    // Accepted POSTs by the chaos step in force when they were sent: what the oracle fee is priced from.
    const acceptedPerStep = scenario.chaos.map(() => 0);
    let activeVUs = 0;
    let peakVUs = 0; // most VUs alive at once in the current second
    let stopping = false;
    let cutShort = false;
    /** @type {Set<() => void>} */
    const sleepers = new Set();
    /** @type {Set<ReturnType<typeof setTimeout>>} */
    const timers = new Set();
    /** @param {() => void} fn @param {number} atSeconds */
    const at = (fn, atSeconds) => {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          fn();
        },
        Math.max(0, atSeconds * 1000 - (performance.now() - t0)),
      );
      timers.add(timer);
    };

    /** @param {number} ms @returns {Promise<void>} */
    const sleep = (ms) =>
      new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          sleepers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        sleepers.add(done);
      });

    // VUs: closed loop, one POST then 1 s of sleep, until the end. As k6 lets a VU finish its iteration
    // when the ramp ends (gracefulStop), a VU sleeps out its last second before the load counts as
    // over, but starts no POST after the end; an abort (or a load-only run) cuts the sleeps short.
    /** @type {Promise<void>[]} */
    const vus = [];
    const vu = async () => {
      activeVUs++;
      peakVUs = Math.max(peakVUs, activeVUs);
      try {
        while (!stopping && counts.issued < maxRequests) {
          counts.issued++;
          const sentIn = chaosPoint(scenario.chaos, elapsed()).step;
          const outcome = await service.postPayment(JSON.stringify({ correlationId: crypto.randomUUID(), amount }));
          if (!outcome.timedOut && isExpectedStatus(outcome.status)) {
            latency.record(outcome.ms);
            latencyService.record(outcome.ms);
          }
          seconds.add(elapsed(), outcome.ms, outcome.ok);
          counts.total++;
          if (outcome.ok) {
            counts.accepted++;
            if (sentIn >= 0) acceptedPerStep[sentIn] = (acceptedPerStep[sentIn] ?? 0) + 1;
          } else counts.failed++;
          if (cutShort) break;
          await sleep(1000);
        }
      } finally {
        activeVUs--;
      }
    };
    const starts = vuStartTimes(maxVUs, durationSeconds);
    let spawned = 0;
    const spawnDue = () => {
      if (stopping) return;
      const due = startedBy(starts, elapsed());
      while (spawned < due) {
        spawned++;
        vus.push(vu());
      }
      const next = starts[spawned];
      if (next !== undefined) at(spawnDue, next);
    };

    // Chaos: each later step at its second.
    let currentStep = chaosPoint(scenario.chaos, 0);
    for (const step of scenario.chaos) {
      if (loadOnly || step.at <= 0 || step.at >= durationSeconds) continue;
      at(() => {
        currentStep = chaosPoint(scenario.chaos, step.at);
        applyChaos(step).catch((error) => warn(`chaos step at ${step.at}s failed: ${describe(error)}`));
      }, step.at);
    }

    // Audits: the service's counts against each processor's over [now − 15 s, now − 2 s] (auditEndMs).
    const audits = { count: 0, inconsistent: 0, countDifference: 0 };
    /** @type {Promise<void>[]} */
    const auditRuns = [];
    /** @type {Map<number, TimelineAudit>} */
    const auditBySecond = new Map();
    /** @type {Set<number>} */
    const auditsDue = new Set(loadOnly ? [] : auditTimes(scenario.auditEverySeconds, durationSeconds));
    /** @param {number} t */
    const startAudit = (t) => {
      if (!auditsDue.delete(t)) return;
      const second = Math.floor(elapsed());
      auditRuns.push(
        audit().then((result) => {
          if (!result) return;
          audits.count++;
          if (result.inconsistent) audits.inconsistent++;
          audits.countDifference += result.countDifference;
          auditBySecond.set(second, result);
          if (result.error) warn(`audit at ${t}s failed: ${result.error}`);
        }),
      );
    };
    for (const t of auditsDue) at(() => startAudit(t), t);

    // Once a second: close the last second's bucket, poll the gauges, show progress.
    /** @type {TimelinePoint[]} */
    const timeline = [];
    let polling = false;
    let statsMisses = 0;
    let tick = 1;
    let ticking = true;
    const onTick = () => {
      if (!ticking) return;
      const second = tick - 1;
      const s = seconds.summarize(second);
      const point = timelinePoint(second, second < durationSeconds ? peakVUs : activeVUs, s, chaosPoint(scenario.chaos, second));
      timeline.push(point);
      peakVUs = activeVUs;
      if (!polling && !loadOnly) {
        polling = true;
        poll(point).finally(() => {
          polling = false;
        });
      }
      if (progress) {
        const p99 = latency.percentile(99);
        const label = second + 1 <= durationSeconds ? "" : " draining";
        const step = currentStep;
        const chaosText = loadOnly ? "load only" : `step ${step.step}: D ${describeChaos(step.default)} | F ${describeChaos(step.fallback)}`;
        progress(
          `${scenario.name} ${String(Math.min(second + 1, 99999)).padStart(4)}/${durationSeconds}s${label}  VUs ${String(activeVUs).padStart(3)}` +
            `  req/s ${String(s.requests).padStart(4)}  p99 ${p99.toFixed(2)} ms  ok ${counts.accepted} failed ${counts.failed}` +
            `  ${chaosText}`,
          false,
        );
      }
      tick++;
      at(onTick, tick);
    };

    /** @param {TimelinePoint} point */
    async function poll(point) {
      const calls = [
        statsMisses >= 3
          ? Promise.resolve()
          : control.call(`${serviceUrl}/internal/stats`, { timeoutMs: 900, measured: false }).then(({ status, body }) => {
              const stats = /** @type {{ waiting?: unknown, processors?: Record<string, { inFlight?: unknown }> } | null} */ (body);
              if (status !== 200 || !stats || typeof stats.waiting !== "number") {
                if (status === 404 || status === 405) statsMisses++;
                return;
              }
              point.queueWaiting = stats.waiting;
              const d = stats.processors?.default?.inFlight;
              const f = stats.processors?.fallback?.inFlight;
              point.inFlightDefault = typeof d === "number" ? d : null;
              point.inFlightFallback = typeof f === "number" ? f : null;
            }),
        ...PROCESSORS.map((name) =>
          control
            .call(`${urls[name]}/admin/payments-summary${wholeRun()}`, { headers: admin, timeoutMs: 900, measured: false })
            .then(({ status, body }) => {
              if (status !== 200) return;
              const n = processorBook(body).totalRequests;
              if (name === "default") point.defaultTotal = n;
              else point.fallbackTotal = n;
            }),
        ),
      ];
      await Promise.allSettled(calls);
    }

    /**
     * As the k6 script does: a processor that cannot answer skips the audit (null); a service that
     * cannot answer within the client timeout makes it inconsistent.
     * @returns {Promise<TimelineAudit | null>}
     */
    async function audit() {
      const window = windowQuery(auditWindow(Date.now(), auditEndMs));
      /** @type {ProcessorBook[]} */
      let books;
      try {
        books = await Promise.all(
          PROCESSORS.map((name) =>
            control.expectOk(`${urls[name]}/admin/payments-summary${window}`, { headers: admin, timeoutMs: PAYMENT_TIMEOUT_MS }).then(processorBook),
          ),
        );
      } catch (error) {
        warn(`audit skipped, a processor did not answer: ${describe(error)}`);
        return null;
      }
      const [d, f] = /** @type {[ProcessorBook, ProcessorBook]} */ (books);
      try {
        const svc = await control.expectOk(`${serviceUrl}/payments-summary${window}`, { timeoutMs: PAYMENT_TIMEOUT_MS }).then(serviceSummary);
        const serviceMinusProcessor = {
          default: svc.default.totalRequests - d.totalRequests,
          fallback: svc.fallback.totalRequests - f.totalRequests,
        };
        const diff = Math.abs(serviceMinusProcessor.default) + Math.abs(serviceMinusProcessor.fallback);
        if (diff > 0) warn(`audit ${window}: service minus processor ${JSON.stringify(serviceMinusProcessor)}`);
        return { inconsistent: diff > 0, countDifference: diff, serviceMinusProcessor };
      } catch (error) {
        return { inconsistent: true, countDifference: 0, error: describe(error) };
      }
    }

    // ---- go
    let loadEndedAt = 0; // performance.now() when the load was told to stop
    /** @param {boolean} wake also wake the sleeping VUs instead of letting them finish their iteration */
    const stop = (wake) => {
      if (!stopping) {
        stopping = true;
        loadEndedAt = performance.now();
      }
      if (wake && !cutShort) {
        cutShort = true;
        for (const done of [...sleepers]) done();
      }
    };
    const onAbort = () => stop(true);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    spawnDue();
    at(onTick, 1);
    await new Promise((resolve) => {
      at(() => resolve(undefined), durationSeconds);
      options.signal?.addEventListener("abort", () => resolve(undefined), { once: true });
      if (options.signal?.aborted) resolve(undefined);
    });
    stop(loadOnly);
    // The audit due at the very end runs even if its timer lost the race; an early stop drops the rest.
    for (const t of [...auditsDue]) {
      if (t <= elapsed() + 0.05) startAudit(t);
      else auditsDue.delete(t);
    }
    await Promise.all(vus);
    await Promise.all(auditRuns);
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    ticking = false;
    for (const timer of timers) clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);

    // A last partial second, if an answer landed or an audit ran in it.
    const lastSecond = Math.max(seconds.buckets.length - 1, ...auditBySecond.keys());
    for (let second = timeline.length; second <= lastSecond; second++) {
      const s = seconds.summarize(second);
      timeline.push(timelinePoint(second, 0, s, chaosPoint(scenario.chaos, second)));
    }
    for (const [second, result] of auditBySecond) {
      const point = timeline[second];
      if (point) point.audit = result;
    }

    if (loadOnly) {
      progress?.("", true);
      return {
        runner: "node",
        scenario: scenario.name,
        maxVUs,
        durationSeconds,
        loadOnly: true,
        requests: { total: counts.total, accepted: counts.accepted, failed: counts.failed },
        latency: latency.summary(),
        latencyService: latencyService.summary(),
        score: null,
        acceptedPerStep,
        timeline,
      };
    }

    // ---- the final read, at once (after settleMs if one was asked for), over [now − 360 s, now] as the
    // contest's teardown reads it: a payment dated later than this moment, or stored after it, is not processed.
    const readAt = finalReadWindow(Date.now());
    /** @type {FinalRead} */
    const finalRead = {
      at: iso(readAt.to),
      windowSeconds: FINAL_READ_WINDOW_MS / 1000,
      drainSeconds: settleMs / 1000,
      secondsAfterLoad: Math.round(performance.now() - loadEndedAt) / 1000,
    };
    const untilNow = windowQuery(readAt);
    const [serviceTotals, defaultTotals, fallbackTotals] = await Promise.all([
      retry(() => control.expectOk(`${serviceUrl}/payments-summary${untilNow}`).then(serviceSummary), warn, "service summary").catch(() => ({
        default: serviceBook(null),
        fallback: serviceBook(null),
      })),
      retry(
        () => control.expectOk(`${urls.default}/admin/payments-summary${untilNow}`, { headers: admin }).then(processorBook),
        warn,
        "default summary",
      ),
      retry(
        () => control.expectOk(`${urls.fallback}/admin/payments-summary${untilNow}`, { headers: admin }).then(processorBook),
        warn,
        "fallback summary",
      ),
    ]);
    // Read after the final summaries: they count, as the contest's teardown calls do.
    const lat = latency.summary();
    const processors = { default: defaultTotals, fallback: fallbackTotals };
    /** @type {RunResult} */
    const result = {
      runner: "node",
      scenario: scenario.name,
      maxVUs,
      durationSeconds,
      requests: { total: counts.total, accepted: counts.accepted, failed: counts.failed },
      latency: lat,
      latencyService: latencyService.summary(),
      processors,
      service: serviceTotals,
      audits,
      auditEndOffsetSeconds: auditEndMs / 1000,
      finalRead,
      score: score({ processors, p99Ms: lat.p99, inconsistentAudits: audits.inconsistent, accepted: counts.accepted }),
      acceptedPerStep,
      timeline,
    };
    progress?.("", true);
    return result;
  } finally {
    await Promise.allSettled([service.close(), control.close()]);
  }

  /** @param {{ default: ProcessorChaos, fallback: ProcessorChaos }} step */
  async function applyChaos(step) {
    await Promise.all(
      PROCESSORS.flatMap((name) => [
        control.expectOk(`${urls[name]}/admin/configurations/delay`, { method: "PUT", headers: admin, json: { delay: step[name].delay } }),
        control.expectOk(`${urls[name]}/admin/configurations/failure`, { method: "PUT", headers: admin, json: { failure: step[name].failure } }),
      ]),
    );
  }
}

/**
 * Sets a processor's admin token; if the initial one is refused, the token
 * may already be set (an earlier run): set it again with itself.
 * @param {ControlClient} control @param {string} url @param {string} initialToken @param {string} token
 */
async function setToken(control, url, initialToken, token) {
  /** @param {string} current */
  const put = (current) =>
    control.call(`${url}/admin/configurations/token`, {
      method: "PUT",
      headers: { "x-rinha-token": current },
      json: { token },
    });
  let set = await put(initialToken);
  if ((set.status < 200 || set.status > 299) && initialToken !== token) set = await put(token);
  if (set.status < 200 || set.status > 299) throw new Error(`cannot set the admin token on ${url}: HTTP ${set.status}`);
}

/**
 * @template T @param {() => Promise<T>} fn @param {(message: string) => void} warn @param {string} what
 * @returns {Promise<T>}
 */
async function retry(fn, warn, what) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= 3) {
        warn(`${what} failed: ${describe(error)}`);
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** @param {RunResult} r */
export function summaryLine(r) {
  return (
    `${r.scenario}: ${r.requests.total} requests, ${r.requests.accepted} accepted, ${r.requests.failed} failed; ` +
    `p99 ${r.latency.p99} ms (service POSTs ${r.latencyService.p99} ms); profit ${r.score.profit} (lag ${r.score.lag}, inconsistent audits ${r.audits.inconsistent})`
  );
}

/**
 * The live line on stderr: rewritten in place on a terminal, otherwise one
 * line every 10 s.
 * @returns {(line: string, final: boolean) => void}
 */
export function stderrProgress() {
  const tty = Boolean(process.stderr.isTTY);
  let last = -Infinity;
  return (line, final) => {
    if (tty) {
      process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 200) - 1)}`);
      return;
    }
    if (final) return;
    const now = performance.now();
    if (now - last >= 10_000) {
      last = now;
      process.stderr.write(`${line}\n`);
    }
  };
}

/**
 * One second of the timeline as the runner saw it; the service's own gauges
 * (queue, in flight, totals) stay null unless a poll fills them in.
 * @param {number} second @param {number} vus @param {ReturnType<SecondBuckets["summarize"]>} summary
 * @param {TimelinePoint["chaos"]} chaos @returns {TimelinePoint}
 */
function timelinePoint(second, vus, summary, chaos) {
  return {
    t: second,
    vus,
    ...summary,
    queueWaiting: null,
    inFlightDefault: null,
    inFlightFallback: null,
    defaultTotal: null,
    fallbackTotal: null,
    chaos,
  };
}
