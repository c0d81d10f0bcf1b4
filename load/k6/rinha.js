// @ts-check
// The contest's load test (docs/contract.md §4) as a k6 script: closed-loop VUs ramping
// from 1 to maxVUs, a chaos schedule on the two processors, audits every few
// seconds, and the score written as JSON. The Node runner (scripts/load.mjs)
// writes the same result shape from the same scenario files and scorer.
//
//   k6 run load/k6/rinha.js            (or `npm run k6 -- --scenario short`)
//
// Environment (`-e NAME=value` or the process environment):
//   SCENARIO       short | long | random                          (short)
//   SEED           seed of the random scenario; required for random
//   SCENARIO_FILE  a scenario JSON to use instead (relative to this script or absolute)
//   MAX_REQUESTS   the peak number of VUs (overrides the scenario's maxVUs)
//   DURATION       seconds; the chaos schedule is compressed into it
//   SERVICE_URL    http://localhost:9999
//   PROCESSOR_DEFAULT_URL / PROCESSOR_FALLBACK_URL   http://localhost:8001 / :8002
//   TOKEN          admin token to set on the processors and use     (123)
//   INITIAL_TOKEN  token the processors have before the run          (123)
//   RESULT_FILE    results/k6-<scenario>.json (relative to the working directory)
//   DRAIN_SECONDS  wait in teardown before the final reads           (0: the contest reads at once)
//   AUDIT_END_OFFSET_SECONDS  audits compare [now − 15 s, now − this] (the scenario's, else 2)
//
// Measured as the contest does (docs/contract.md §4): the score's p99 is k6's
// http_req_duration{expected_response:true} over every request of the test
// (result `latency`); the service's POSTs alone are `latencyService`. The final
// read is the processors' admin summaries over [now − 360 s, now], taken in
// teardown the moment the load ends (`finalRead` in the result).
import { sleep } from "k6";
import exec from "k6/execution";
import http from "k6/http";
import { Counter, Gauge } from "k6/metrics";
import { randomScenario } from "../lib/random-scenario.js";
import {
  CONTEST_LATENCY_METRIC,
  FINAL_READ_WINDOW_MS,
  SERVICE_LATENCY_METRIC,
  SERVICE_POST_NAME,
  auditEndOffsetMs,
  auditWindow,
  finalReadWindow,
  trendFigures,
  windowQuery,
} from "../lib/measure.js";
import { withDuration, withMaxVUs } from "../lib/scenario.js";
import { score } from "../lib/score.js";

/**
 * @typedef {import("../lib/random-scenario.js").Scenario} Scenario
 * @typedef {import("../lib/random-scenario.js").ChaosStep} ChaosStep
 * @typedef {"default" | "fallback"} ProcessorName
 * @typedef {{ totalRequests: number, totalAmount: number, totalFee: number }} ProcessorTotals
 * @typedef {{ totalRequests: number, totalAmount: number }} ServiceTotals
 * @typedef {{ default: ServiceTotals, fallback: ServiceTotals }} ServiceSummary
 * @typedef {{ startedAt: number }} SetupData
 */

const env = __ENV;
const SERVICE_URL = env.SERVICE_URL || "http://localhost:9999";
/** @type {Record<ProcessorName, string>} */
const PROCESSORS = {
  default: env.PROCESSOR_DEFAULT_URL || "http://localhost:8001",
  fallback: env.PROCESSOR_FALLBACK_URL || "http://localhost:8002",
};
/** @type {ProcessorName[]} */
const PROCESSOR_NAMES = ["default", "fallback"];
const TOKEN = env.TOKEN || "123";
const INITIAL_TOKEN = env.INITIAL_TOKEN || "123";
const DRAIN_SECONDS = numberEnv("DRAIN_SECONDS") ?? 0;
// The contest's clients give up after 1.5 s.
const PAYMENT_TIMEOUT = "1500ms";
const ADMIN_TIMEOUT = "10s";
// Every request to the service carries this tag; SERVICE_LATENCY_METRIC is its POSTs'.
const SERVICE_TAG = "service";

const scenario = loadScenario();
const AUDIT_END_OFFSET_MS = auditEndOffsetMs(scenario, env.AUDIT_END_OFFSET_SECONDS);
const RESULT_FILE = env.RESULT_FILE || `results/k6-${scenario.name}.json`;

export const options = {
  // p(99) is not among k6's default trend stats.
  summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count"],
  setupTimeout: "60s",
  teardownTimeout: `${Math.ceil(DRAIN_SECONDS) + 60}s`,
  // Always true: they only make k6 keep these sub-metrics for handleSummary.
  thresholds: { [CONTEST_LATENCY_METRIC]: ["p(99)>=0"], [SERVICE_LATENCY_METRIC]: ["p(99)>=0"] },
  scenarios: {
    payments: {
      executor: "ramping-vus",
      exec: "payments",
      startVUs: 1,
      stages: [{ duration: `${scenario.durationSeconds}s`, target: scenario.maxVUs }],
      gracefulRampDown: "0s",
      // Lets the last iterations finish (1.5 s timeout + 1 s sleep), so every
      // payment the service accepted is counted as accepted.
      gracefulStop: "5s",
    },
    chaos: {
      executor: "per-vu-iterations",
      exec: "chaos",
      vus: 1,
      iterations: 1,
      maxDuration: `${scenario.durationSeconds + 10}s`,
      gracefulStop: "0s",
    },
    // Audits at every, 2 * every, ... up to the end of the ramp (as the Node runner does).
    audit: {
      executor: "constant-arrival-rate",
      exec: "audit",
      startTime: `${scenario.auditEverySeconds}s`,
      rate: 1,
      timeUnit: `${scenario.auditEverySeconds}s`,
      duration: `${Math.max(0.5, scenario.durationSeconds - scenario.auditEverySeconds + 0.5)}s`,
      preAllocatedVUs: 1,
      maxVUs: 1,
      gracefulStop: "5s",
    },
  },
};

const accepted = new Counter("payments_accepted");
const failed = new Counter("payments_failed");
const audits = new Counter("audits");
const inconsistentAudits = new Counter("audits_inconsistent");
const auditCountDifference = new Counter("audits_count_difference");
const auditErrors = new Counter("audits_errors");

/** When the final read was taken (epoch ms), and how long after the ramp's end (ms). */
const finalReadGauges = { at: new Gauge("final_read_at"), afterLoad: new Gauge("final_read_after_load") };

/** Final books, read in teardown and handed to handleSummary as gauges. */
const finals = {
  processors: {
    default: totalsGauges("processor_default", ["totalRequests", "totalAmount", "totalFee"]),
    fallback: totalsGauges("processor_fallback", ["totalRequests", "totalAmount", "totalFee"]),
  },
  service: {
    default: totalsGauges("service_default", ["totalRequests", "totalAmount"]),
    fallback: totalsGauges("service_fallback", ["totalRequests", "totalAmount"]),
  },
};

/** @returns {SetupData} */
export function setup() {
  for (const name of PROCESSOR_NAMES) setProcessorToken(name);
  for (const name of PROCESSOR_NAMES) {
    const purged = processorAdmin(name, "POST", "/admin/purge-payments");
    if (purged.status !== 200) exec.test.abort(`cannot purge ${name} processor (HTTP ${purged.status})`);
    configure(name, { delay: 0, failure: false });
  }
  const purged = service("POST", "/purge-payments", null, "POST /purge-payments", ADMIN_TIMEOUT);
  if (purged.status < 200 || purged.status > 299) {
    exec.test.abort(`cannot purge the service at ${SERVICE_URL} (HTTP ${purged.status} ${purged.error})`);
  }
  return { startedAt: Date.now() };
}

/** When the ramp ends: setup hands over to the scenarios at startedAt. @param {SetupData} data */
function loadEnd(data) {
  return data.startedAt + scenario.durationSeconds * 1000;
}

/** One closed-loop client: pay, then think for a second. */
export function payments() {
  const body = JSON.stringify({ correlationId: uuid(), amount: scenario.amount });
  const res = service("POST", "/payments", body, SERVICE_POST_NAME, PAYMENT_TIMEOUT, "none");
  if (res.status >= 200 && res.status < 300) accepted.add(1);
  else failed.add(1);
  sleep(1);
}

/** Walks the chaos schedule, each step at its time from the start of the scenarios. */
export function chaos() {
  const start = exec.scenario.startTime;
  for (const step of scenario.chaos.filter((s) => s.at < scenario.durationSeconds)) {
    const wait = start + step.at * 1000 - Date.now();
    if (wait > 0) sleep(wait / 1000);
    for (const name of PROCESSOR_NAMES) configure(name, step[name]);
  }
}

/**
 * Compares the service's summary with each processor's books over the window
 * from 15 s ago to 2 s ago (AUDIT_END_OFFSET_SECONDS). A service that cannot
 * answer counts as inconsistent; a processor that cannot answer skips the audit.
 */
export function audit() {
  const window = windowQuery(auditWindow(Date.now(), AUDIT_END_OFFSET_MS));
  /** @type {Partial<Record<ProcessorName, ProcessorTotals>>} */
  const books = {};
  for (const name of PROCESSOR_NAMES) {
    const totals = processorSummary(name, window, PAYMENT_TIMEOUT);
    if (!totals) {
      auditErrors.add(1);
      return;
    }
    books[name] = totals;
  }
  const ours = serviceSummary(window, PAYMENT_TIMEOUT);
  audits.add(1);
  if (!ours) {
    auditErrors.add(1);
    inconsistentAudits.add(1);
    return;
  }
  let difference = 0;
  for (const name of PROCESSOR_NAMES) {
    difference += Math.abs(ours[name].totalRequests - (books[name]?.totalRequests ?? 0));
  }
  inconsistentAudits.add(difference > 0 ? 1 : 0);
  auditCountDifference.add(difference);
  if (difference > 0) {
    console.warn(`audit ${window}: service ${JSON.stringify(ours)} vs processors ${JSON.stringify(books)}`);
  }
}

/**
 * The final read, the moment the load ends (after DRAIN_SECONDS if set): the
 * whole run's books into gauges. @param {SetupData} data
 */
export function teardown(data) {
  if (DRAIN_SECONDS > 0) sleep(DRAIN_SECONDS);
  // [now − 360 s, now], as the contest's teardown reads it: a payment dated
  // later than this moment, or stored after it, is not processed.
  const readAt = finalReadWindow(Date.now());
  const window = windowQuery(readAt);
  finalReadGauges.at.add(readAt.to);
  finalReadGauges.afterLoad.add(Math.max(0, readAt.to - loadEnd(data)));
  for (const name of PROCESSOR_NAMES) {
    const totals = processorSummary(name, window, ADMIN_TIMEOUT);
    if (!totals) {
      console.error(`cannot read the ${name} processor's summary; its totals are reported as 0`);
      continue;
    }
    const gauges = finals.processors[name];
    gauges.totalRequests.add(totals.totalRequests);
    gauges.totalAmount.add(totals.totalAmount);
    gauges.totalFee.add(totals.totalFee);
  }
  const ours = serviceSummary(window, ADMIN_TIMEOUT);
  if (!ours) console.error("cannot read the service's summary; its totals are reported as 0");
  for (const name of PROCESSOR_NAMES) {
    if (!ours) break;
    finals.service[name].totalRequests.add(ours[name].totalRequests);
    finals.service[name].totalAmount.add(ours[name].totalAmount);
  }
}

/**
 * @param {{ metrics: Record<string, { type: string, values: Record<string, number> } | undefined> }} data
 */
export function handleSummary(data) {
  /** @param {string} metric @param {string} stat */
  const value = (metric, stat) => data.metrics[metric]?.values[stat] ?? 0;
  /** @param {string} prefix @param {string[]} keys */
  const totals = (prefix, keys) => Object.fromEntries(keys.map((key) => [key, value(`${prefix}_${snake(key)}`, "value")]));
  const processors = {
    default: /** @type {ProcessorTotals} */ (totals("processor_default", ["totalRequests", "totalAmount", "totalFee"])),
    fallback: /** @type {ProcessorTotals} */ (totals("processor_fallback", ["totalRequests", "totalAmount", "totalFee"])),
  };
  const acceptedCount = value("payments_accepted", "count");
  const failedCount = value("payments_failed", "count");
  // The contest's p99 (every request with an expected response) scores; the service's POSTs beside it.
  const latency = trendFigures(data.metrics, CONTEST_LATENCY_METRIC);
  const latencyService = trendFigures(data.metrics, SERVICE_LATENCY_METRIC);
  const readAt = value("final_read_at", "value");
  const finalRead = {
    at: readAt > 0 ? iso(readAt) : null,
    windowSeconds: FINAL_READ_WINDOW_MS / 1000,
    drainSeconds: DRAIN_SECONDS,
    secondsAfterLoad: round3(value("final_read_after_load", "value") / 1000),
  };
  const auditResult = {
    count: value("audits", "count"),
    inconsistent: value("audits_inconsistent", "count"),
    countDifference: value("audits_count_difference", "count"),
  };
  const result = {
    runner: "k6",
    scenario: scenario.name,
    maxVUs: scenario.maxVUs,
    durationSeconds: scenario.durationSeconds,
    requests: { total: acceptedCount + failedCount, accepted: acceptedCount, failed: failedCount },
    latency,
    latencyService,
    processors,
    service: {
      default: totals("service_default", ["totalRequests", "totalAmount"]),
      fallback: totals("service_fallback", ["totalRequests", "totalAmount"]),
    },
    audits: auditResult,
    auditEndOffsetSeconds: AUDIT_END_OFFSET_MS / 1000,
    finalRead,
    score: score({
      processors,
      p99Ms: latency.p99,
      inconsistentAudits: auditResult.inconsistent,
      accepted: acceptedCount,
    }),
  };
  const s = result.score;
  const text = [
    "",
    `rinha k6 ${result.scenario}: ${result.maxVUs} VUs over ${result.durationSeconds} s`,
    `  payments   ${result.requests.total} sent, ${acceptedCount} accepted, ${failedCount} failed`,
    `  latency    p50 ${latency.p50} ms, p90 ${latency.p90} ms, p99 ${latency.p99} ms, max ${latency.max} ms (contest: all ${latency.count} requests with an expected response)`,
    `  service    p50 ${latencyService.p50} ms, p90 ${latencyService.p90} ms, p99 ${latencyService.p99} ms, max ${latencyService.max} ms (its ${latencyService.count} POST /payments with an expected response)`,
    `  final read ${finalRead.secondsAfterLoad} s after the ramp's end (drain ${finalRead.drainSeconds} s), over [now − ${finalRead.windowSeconds} s, now]`,
    `  processed  default ${processors.default.totalRequests}, fallback ${processors.fallback.totalRequests} (default share ${s.defaultShare})`,
    `  audits     ${auditResult.count}, ${auditResult.inconsistent} inconsistent (count difference ${auditResult.countDifference})`,
    `  score      profit ${s.profit} (net ${s.net}, latency bonus ${s.latencyBonus}, fine ${s.fine}), lag ${s.lag}${s.disqualified ? ", DISQUALIFIED" : ""}`,
    `  result     ${RESULT_FILE}`,
    "",
  ].join("\n");
  return { stdout: text, [RESULT_FILE]: JSON.stringify(result, null, 2) };
}

// ---------------------------------------------------------------------------

/** @returns {Scenario} */
function loadScenario() {
  const name = env.SCENARIO || "short";
  const maxVUs = numberEnv("MAX_REQUESTS");
  const duration = numberEnv("DURATION");
  /** @type {Scenario} */
  let loaded;
  if (env.SCENARIO_FILE) {
    loaded = JSON.parse(open(env.SCENARIO_FILE));
  } else if (name === "random") {
    // Each VU evaluates this script on its own: a seed drawn here would differ between them.
    const seed = numberEnv("SEED");
    if (seed === undefined) throw new Error("SCENARIO=random needs SEED (an integer)");
    return randomScenario(seed, { durationSeconds: duration ?? 120, maxVUs: maxVUs ?? 550, amount: 19.9 });
  } else if (name === "short" || name === "long") {
    loaded = JSON.parse(open(`../scenarios/${name}.json`));
  } else {
    throw new Error(`unknown SCENARIO "${name}" (short, long or random)`);
  }
  if (duration !== undefined) loaded = withDuration(loaded, duration);
  return maxVUs === undefined ? loaded : withMaxVUs(loaded, maxVUs);
}

/** @param {string} name @returns {number | undefined} */
function numberEnv(name) {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

/**
 * A request to the service, tagged target:service (its POSTs make SERVICE_LATENCY_METRIC).
 * @param {string} method @param {string} path @param {string | null} body @param {string} name
 * @param {string} timeout @param {"none" | "text"} [responseType]
 */
function service(method, path, body, name, timeout, responseType = "text") {
  return http.request(method, `${SERVICE_URL}${path}`, body, {
    headers: body === null ? {} : { "Content-Type": "application/json" },
    timeout,
    responseType,
    tags: { target: SERVICE_TAG, name },
  });
}

/**
 * An admin call to a processor, with the run's token unless told otherwise.
 * @param {ProcessorName} name @param {string} method @param {string} path
 * @param {unknown} [body] @param {string} [token] @param {string} [timeout]
 */
function processorAdmin(name, method, path, body, token = TOKEN, timeout = ADMIN_TIMEOUT) {
  return http.request(method, `${PROCESSORS[name]}${path}`, body === undefined ? null : JSON.stringify(body), {
    headers: { "Content-Type": "application/json", "X-Rinha-Token": token },
    timeout,
    tags: { target: `processor-${name}`, name: `${method} ${path.split("?")[0]}` },
  });
}

/** Sets TOKEN, accepting processors that already carry it from an earlier run. @param {ProcessorName} name */
function setProcessorToken(name) {
  let res = processorAdmin(name, "PUT", "/admin/configurations/token", { token: TOKEN }, INITIAL_TOKEN);
  if (res.status !== 204 && INITIAL_TOKEN !== TOKEN) {
    res = processorAdmin(name, "PUT", "/admin/configurations/token", { token: TOKEN }, TOKEN);
  }
  if (res.status !== 204) {
    exec.test.abort(`cannot set the ${name} processor's token at ${PROCESSORS[name]} (HTTP ${res.status} ${res.error})`);
  }
}

/** @param {ProcessorName} name @param {{ delay: number, failure: boolean }} state */
function configure(name, state) {
  const delay = processorAdmin(name, "PUT", "/admin/configurations/delay", { delay: state.delay });
  const failure = processorAdmin(name, "PUT", "/admin/configurations/failure", { failure: state.failure });
  if (delay.status !== 200 || failure.status !== 200) {
    console.error(`cannot configure the ${name} processor (delay HTTP ${delay.status}, failure HTTP ${failure.status})`);
  }
}

/** @param {ProcessorName} name @param {string} window @param {string} timeout @returns {ProcessorTotals | undefined} */
function processorSummary(name, window, timeout) {
  const res = processorAdmin(name, "GET", `/admin/payments-summary${window}`, undefined, TOKEN, timeout);
  const body = res.status === 200 ? parse(res.body) : undefined;
  if (!body || typeof body.totalRequests !== "number") return undefined;
  return { totalRequests: body.totalRequests, totalAmount: Number(body.totalAmount) || 0, totalFee: Number(body.totalFee) || 0 };
}

/** @param {string} window @param {string} timeout @returns {ServiceSummary | undefined} */
function serviceSummary(window, timeout) {
  const res = service("GET", `/payments-summary${window}`, null, "GET /payments-summary", timeout);
  const body = res.status === 200 ? parse(res.body) : undefined;
  /** @param {any} part @returns {ServiceTotals | undefined} */
  const totals = (part) =>
    part && typeof part.totalRequests === "number" ? { totalRequests: part.totalRequests, totalAmount: Number(part.totalAmount) || 0 } : undefined;
  const d = totals(body?.default);
  const f = totals(body?.fallback);
  return d && f ? { default: d, fallback: f } : undefined;
}

/** @param {unknown} body @returns {any} */
function parse(body) {
  if (typeof body !== "string") return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * @template {string} K
 * @param {string} prefix @param {K[]} keys @returns {Record<K, Gauge>}
 */
function totalsGauges(prefix, keys) {
  return /** @type {Record<K, Gauge>} */ (Object.fromEntries(keys.map((key) => [key, new Gauge(`${prefix}_${snake(key)}`)])));
}

/** totalRequests -> total_requests @param {string} key */
function snake(key) {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** @param {number} ms */
function iso(ms) {
  return new Date(ms).toISOString();
}

/** @param {number} x */
function round3(x) {
  return Math.round(x * 1000) / 1000;
}

/** A v4 UUID: the runtime's crypto.randomUUID (k6 1.x has a global Web Crypto) or Math.random. */
function uuid() {
  /** @type {{ crypto?: { randomUUID?: () => string } }} */
  const g = /** @type {any} */ (globalThis);
  if (typeof g.crypto?.randomUUID === "function") return g.crypto.randomUUID();
  return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => {
    const r = (Math.random() * 16) | 0;
    return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
  });
}
