// @ts-check
// A minimal stand-in for `k6 run`, so CI can load and run a k6 script for a
// few seconds where no k6 binary exists. It is a smoke check that the
// script's logic runs against real HTTP servers, not a load generator: each
// VU is a Node worker thread (fine for a handful, not for hundreds), and the
// timings are Node's, not k6's.
//
//   node load/k6/shim/run.js [-e NAME=value]... script.js
//
// What it models: the init context per VU (imports, open(), __ENV, __VU,
// __ITER); k6, k6/http (blocking requests with headers, timeout, tags,
// responseType), k6/metrics, k6/execution; setup() -> scenarios -> teardown()
// -> handleSummary(data) with setup data passed as JSON; the executors
// ramping-vus, constant-vus, per-vu-iterations and constant-arrival-rate
// (with startTime, gracefulStop, maxDuration); thresholds (aggregations
// avg/min/max/med/count/rate/value/p(N), sub-metrics by tag); the summary
// data object (metrics[name].type/contains/values, thresholds, root_group
// checks, options, state, setup_data); exit codes 99 (thresholds), 108
// (test.abort), 110 (test.fail).
// What it does not: k6's own HTTP client and its timing phases, connection
// reuse rules, cookies, redirects policy, TLS, batch/async HTTP, groups in
// root_group, ramping-arrival-rate, shared-iterations, externally-controlled,
// k6 options other than the ones above, remote modules, any k6 module not
// listed, and the default end-of-test text summary (a plain list instead).
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { MessageChannel, Worker } from "node:worker_threads";
import { durationMs } from "./duration.js";

/**
 * @typedef {import("./runtime.js").HttpCall} HttpCall
 * @typedef {import("./runtime.js").HttpAnswer} HttpAnswer
 * @typedef {import("./runtime.js").ScenarioInfo} ScenarioInfo
 * @typedef {import("./runtime.js").SampleMessage} SampleMessage
 * @typedef {"counter" | "gauge" | "rate" | "trend"} MetricType
 * @typedef {{ value: number, tags: Record<string, string> }} Sample
 * @typedef {{ type: MetricType, contains: string, samples: Sample[] }} MetricSeries
 * @typedef {{ executor: string, exec?: string, startTime?: string, gracefulStop?: string, tags?: Record<string, string>,
 *   startVUs?: number, stages?: { duration: string, target: number }[], gracefulRampDown?: string,
 *   vus?: number, duration?: string, iterations?: number, maxDuration?: string,
 *   rate?: number, timeUnit?: string, preAllocatedVUs?: number, maxVUs?: number }} ScenarioConfig
 * @typedef {{ scenarios?: Record<string, ScenarioConfig>, thresholds?: Record<string, (string | { threshold: string })[]>,
 *   summaryTrendStats?: string[], setupTimeout?: string, teardownTimeout?: string, handleSummaryTimeout?: string,
 *   vus?: number, duration?: string, iterations?: number }} Options
 */

const VU_ENTRY = new URL("./vu.js", import.meta.url);
const DEFAULT_TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)"];

const wait = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Whether `promise` settled within `ms`; the timer does not outlive it. @param {Promise<unknown>} promise @param {number} ms */
async function within(promise, ms) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, ms), false)));
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------
// Metrics, aggregated like k6's sinks.

class Metrics {
  /** @type {Map<string, MetricSeries>} */
  series = new Map();

  /** @param {string} name @param {MetricType} type @param {string} contains @param {number} value @param {Record<string, string>} tags */
  add(name, type, contains, value, tags) {
    let series = this.series.get(name);
    if (!series) this.series.set(name, (series = { type, contains, samples: [] }));
    series.samples.push({ value, tags });
  }
}

/** k6's TrendSink.P: linear interpolation between the closest ranks. @param {number[]} sorted @param {number} pct */
function percentile(sorted, pct) {
  if (sorted.length === 0) return 0;
  if (sorted.length === 1) return /** @type {number} */ (sorted[0]);
  const i = pct * (sorted.length - 1);
  const lo = /** @type {number} */ (sorted[Math.floor(i)]);
  const hi = /** @type {number} */ (sorted[Math.ceil(i)]);
  return lo + (hi - lo) * (i - Math.floor(i));
}

/**
 * The `values` k6 puts in the summary for one metric.
 * @param {MetricType} type @param {Sample[]} samples @param {string[]} trendStats @param {number} seconds
 * @returns {Record<string, number>}
 */
function sinkValues(type, samples, trendStats, seconds) {
  const values = samples.map((s) => s.value);
  if (type === "counter") {
    const count = values.reduce((a, b) => a + b, 0);
    return { count, rate: seconds > 0 ? count / seconds : 0 };
  }
  if (type === "gauge") {
    return { value: values.at(-1) ?? 0, min: values.length ? Math.min(...values) : 0, max: values.length ? Math.max(...values) : 0 };
  }
  if (type === "rate") {
    const passes = values.filter((v) => v !== 0).length;
    return { rate: values.length ? passes / values.length : 0, passes, fails: values.length - passes };
  }
  const sorted = [...values].sort((a, b) => a - b);
  /** @type {Record<string, number>} */
  const out = {};
  for (const stat of trendStats) out[stat] = trendStat(stat, sorted);
  return out;
}

/** @param {string} stat @param {number[]} sorted */
function trendStat(stat, sorted) {
  const n = sorted.length;
  switch (stat) {
    case "avg":
      return n ? sorted.reduce((a, b) => a + b, 0) / n : 0;
    case "min":
      return sorted[0] ?? 0;
    case "max":
      return sorted[n - 1] ?? 0;
    case "med":
      return percentile(sorted, 0.5);
    case "count":
      return n;
  }
  const m = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
  if (!m) throw new Error(`invalid trend stat "${stat}"`);
  return percentile(sorted, Number(m[1]) / 100);
}

/** "http_req_duration{target:service,name:x}" -> parent and tags. @param {string} key */
function parseMetricKey(key) {
  const m = /^([^{]+)(?:\{(.*)\})?$/.exec(key.trim());
  if (!m) throw new Error(`invalid metric "${key}"`);
  /** @type {Record<string, string>} */
  const tags = {};
  for (const part of (m[2] ?? "").split(",").filter((p) => p.trim())) {
    const at = part.indexOf(":");
    if (at < 0) throw new Error(`invalid tag "${part}" in "${key}"`);
    tags[part.slice(0, at).trim()] = part.slice(at + 1).trim().replace(/^["']|["']$/g, "");
  }
  return { parent: /** @type {string} */ (m[1]).trim(), tags };
}

/** "p(99)<11" against the values of a metric. @param {string} source @param {MetricType} type @param {number[]} sorted @param {Record<string, number>} values */
function thresholdOk(source, type, sorted, values) {
  const m = /^\s*(avg|min|max|med|count|rate|value|p\(\d+(?:\.\d+)?\))\s*(<=|>=|<|>|===|==|!=)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(source);
  if (!m) throw new Error(`invalid threshold "${source}"`);
  const [, stat = "", op, limit] = m;
  const actual = type === "trend" ? trendStat(stat, sorted) : values[stat];
  if (actual === undefined) throw new Error(`threshold "${source}": no "${stat}" for a ${type} metric`);
  const bound = Number(limit);
  switch (op) {
    case "<": return actual < bound;
    case "<=": return actual <= bound;
    case ">": return actual > bound;
    case ">=": return actual >= bound;
    case "!=": return actual !== bound;
    default: return actual === bound;
  }
}

// ---------------------------------------------------------------------------
// HTTP on the main thread, for the VUs' blocking requests.

/** @param {http.IncomingHttpHeaders} raw */
function canonicalHeaders(raw) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[key.replace(/(^|-)([a-z])/g, (_, dash, c) => dash + c.toUpperCase())] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** Rough k6 error codes for what Node reports. @param {NodeJS.ErrnoException} error */
function errorCode(error) {
  switch (error.code) {
    case "ECONNREFUSED": return 1212;
    case "ECONNRESET": return 1220;
    case "ENOTFOUND": return 1101;
    default: return 1000;
  }
}

/** @typedef {{ http: http.Agent, https: https.Agent }} Agents */

/** @param {HttpCall} call @param {Agents} agents @returns {Promise<HttpAnswer>} */
function sendHttp(call, agents) {
  return new Promise((resolve) => {
    const started = performance.now();
    let settled = false;
    /** @param {Omit<HttpAnswer, "duration" | "url" | "proto">} answer */
    const finish = (answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...answer, duration: performance.now() - started, url: call.url, proto: "HTTP/1.1" });
    };
    /** @type {http.ClientRequest} */
    let req;
    try {
      const url = new URL(call.url);
      const secure = url.protocol === "https:";
      req = (secure ? https : http).request(url, { method: call.method, headers: call.headers, agent: secure ? agents.https : agents.http });
    } catch (error) {
      finish({ status: 0, body: null, headers: {}, error: String(error), error_code: 1020 });
      return;
    }
    const timer = setTimeout(() => {
      finish({ status: 0, body: null, headers: {}, error: "request timeout", error_code: 1050 });
      req.destroy();
    }, call.timeoutMs);
    req.on("response", (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => finish({
        status: res.statusCode ?? 0,
        body: call.responseType === "none" ? null : Buffer.concat(chunks).toString("utf8"),
        headers: canonicalHeaders(res.headers),
        error: "",
        error_code: 0,
      }));
      res.on("error", (error) => finish({ status: 0, body: null, headers: {}, error: error.message, error_code: errorCode(error) }));
    });
    req.on("error", (error) => finish({ status: 0, body: null, headers: {}, error: error.message, error_code: errorCode(error) }));
    req.end(call.body ?? undefined);
  });
}

// ---------------------------------------------------------------------------
// VUs.

class VU {
  /** @type {Promise<void>} */
  busy = Promise.resolve();
  running = false;
  exited = false;
  /** @type {((message: any) => void) | undefined} */
  onReply;

  /** @param {Runner} runner @param {number} id */
  constructor(runner, id) {
    this.runner = runner;
    this.id = id;
    const channel = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    this.stopFlag = new Int32Array(new SharedArrayBuffer(4));
    this.worker = new Worker(VU_ENTRY, {
      workerData: { script: runner.script, env: runner.env, vu: id, port: channel.port2, signal, stop: this.stopFlag.buffer },
      transferList: [channel.port2],
    });
    this.port = channel.port1;
    const flag = new Int32Array(signal);
    this.port.on("message", async (/** @type {HttpCall} */ call) => {
      const answer = await sendHttp(call, runner.agents);
      runner.recordHttp(call, answer);
      this.port.postMessage(answer);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
    /** @type {Promise<{ options: Options, exports: string[] }>} */
    this.ready = new Promise((resolve, reject) => {
      this.worker.on("message", (message) => {
        if (message.type === "ready") resolve(message);
        else if (message.type === "sample") runner.recordSample(message);
        else if (message.type === "abort") runner.abort(message.reason);
        else if (message.type === "fail") runner.failed = true;
        else this.onReply?.(message);
      });
      this.worker.on("error", (error) => {
        reject(error);
        this.onReply?.({ type: "error", message: error.stack ?? String(error) });
      });
      this.worker.on("exit", () => {
        this.exited = true;
        this.port.close();
        reject(new Error(`VU ${id} exited during init`));
        this.onReply?.({ type: "exit" });
      });
    });
  }

  /** Calls an exported function (setup, teardown, handleSummary) and returns its value. @param {string} fn @param {unknown} arg @param {number} timeoutMs */
  async call(fn, arg, timeoutMs) {
    const reply = await this.#request({ type: "call", fn, arg }, timeoutMs);
    if (reply.type === "error") throw new Error(`${fn}() failed: ${reply.message}`);
    if (reply.type === "exit") throw new Error(`${fn}() did not finish: its VU exited`);
    if (reply.type === "timeout") {
      await this.terminate();
      throw new Error(`${fn}() timed out after ${timeoutMs} ms`);
    }
    return /** @type {{ value: unknown, aborted?: boolean }} */ (reply);
  }

  /**
   * Runs iterations of `exec` for a scenario; resolves when they are done or the VU is gone.
   * @param {ScenarioInfo} scenario @param {string} exec @param {"loop" | "iterations" | "once"} mode
   * @param {number} [iterations]
   */
  run(scenario, exec, mode, iterations) {
    this.busy = this.busy.then(async () => {
      if (this.exited) return;
      Atomics.store(this.stopFlag, 0, 0);
      this.running = true;
      this.runner.vusChanged(+1);
      const reply = await this.#request({ type: "run", scenario, exec, mode, iterations, setupData: this.runner.setupData });
      this.running = false;
      this.runner.vusChanged(-1);
      if (reply.type === "error") console.error(`k6 shim: VU ${this.id}: ${reply.message}`);
    });
    return this.busy;
  }

  /** Asks the VU to stop after its current iteration. */
  requestStop() {
    Atomics.store(this.stopFlag, 0, 1);
  }

  async terminate() {
    if (!this.exited) await this.worker.terminate();
  }

  /** @param {object} command @param {number} [timeoutMs] @returns {Promise<any>} */
  #request(command, timeoutMs) {
    return new Promise((resolve) => {
      if (this.exited) return resolve({ type: "exit" });
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => resolve({ type: "timeout" }), timeoutMs);
      this.onReply = (message) => {
        clearTimeout(timer);
        this.onReply = undefined;
        resolve(message);
      };
      this.worker.postMessage(command);
    });
  }
}

// ---------------------------------------------------------------------------
// Executors.

/**
 * @typedef {{ runner: Runner, name: string, config: ScenarioConfig, vus: VU[], info: ScenarioInfo, exec: string }} ExecutorContext
 */

/** Waits for `runs` up to gracefulStop, then interrupts whatever still runs. @param {ExecutorContext} ctx @param {Promise<void>[]} runs */
async function stopGracefully(ctx, runs) {
  for (const vu of ctx.vus) vu.requestStop();
  const graceful = durationMs(ctx.config.gracefulStop, 30_000);
  if (!(await within(Promise.all(runs), graceful))) {
    const interrupted = ctx.vus.filter((vu) => vu.running);
    if (interrupted.length) console.warn(`k6 shim: ${ctx.name}: interrupting ${interrupted.length} VU(s) after gracefulStop`);
    await Promise.all(interrupted.map((vu) => vu.terminate()));
  }
}

/** @type {Record<string, { vus: (config: ScenarioConfig) => number, run: (ctx: ExecutorContext) => Promise<void> }>} */
const EXECUTORS = {
  "ramping-vus": {
    vus: (c) => Math.max(c.startVUs ?? 1, ...(c.stages ?? []).map((s) => s.target)),
    async run(ctx) {
      const start = ctx.config.startVUs ?? 1;
      const stages = (ctx.config.stages ?? []).map((s) => ({ ms: durationMs(s.duration), target: s.target }));
      const total = stages.reduce((sum, s) => sum + s.ms, 0);
      /** @param {number} t */
      const target = (t) => {
        let from = start;
        let at = 0;
        for (const stage of stages) {
          if (t < at + stage.ms) {
            const exact = from + ((stage.target - from) * (t - at)) / stage.ms;
            return stage.target >= from ? Math.floor(exact) : Math.ceil(exact);
          }
          at += stage.ms;
          from = stage.target;
        }
        return from;
      };
      /** @type {Promise<void>[]} */
      const runs = [];
      let active = 0;
      /** @param {number} n */
      const scale = (n) => {
        for (; active < n; active++) runs.push(/** @type {VU} */ (ctx.vus[active]).run(ctx.info, ctx.exec, "loop"));
        for (; active > n; active--) /** @type {VU} */ (ctx.vus[active - 1]).requestStop();
      };
      const t0 = ctx.info.startTime;
      while (!ctx.runner.aborted) {
        const t = Date.now() - t0;
        if (t >= total) break;
        scale(target(t));
        await wait(20);
      }
      await stopGracefully(ctx, runs);
    },
  },
  "constant-vus": {
    vus: (c) => c.vus ?? 1,
    async run(ctx) {
      const runs = ctx.vus.map((vu) => vu.run(ctx.info, ctx.exec, "loop"));
      const end = ctx.info.startTime + durationMs(ctx.config.duration);
      while (!ctx.runner.aborted && Date.now() < end) await wait(Math.min(50, end - Date.now()));
      await stopGracefully(ctx, runs);
    },
  },
  "per-vu-iterations": {
    vus: (c) => c.vus ?? 1,
    async run(ctx) {
      const runs = ctx.vus.map((vu) => vu.run(ctx.info, ctx.exec, "iterations", ctx.config.iterations ?? 1));
      const end = ctx.info.startTime + durationMs(ctx.config.maxDuration, 600_000);
      const all = Promise.all(runs);
      while (!ctx.runner.aborted && Date.now() < end) {
        if (await within(all, Math.min(50, end - Date.now()))) return;
      }
      await stopGracefully(ctx, runs);
    },
  },
  "constant-arrival-rate": {
    vus: (c) => c.preAllocatedVUs ?? 1,
    async run(ctx) {
      const interval = durationMs(ctx.config.timeUnit, 1000) / (ctx.config.rate ?? 1);
      const duration = durationMs(ctx.config.duration);
      const maxVUs = Math.max(ctx.config.maxVUs ?? ctx.vus.length, ctx.vus.length);
      /** @type {Promise<void>[]} */
      const runs = [];
      for (let k = 0; !ctx.runner.aborted; k++) {
        const at = k * interval;
        if (at >= duration) break;
        await wait(ctx.info.startTime + at - Date.now());
        if (ctx.runner.aborted) break;
        let vu = ctx.vus.find((v) => !v.running && !v.exited);
        if (!vu && ctx.vus.length < maxVUs) {
          vu = await ctx.runner.spawn();
          ctx.vus.push(vu);
        }
        if (!vu) {
          ctx.runner.metrics.add("dropped_iterations", "counter", "default", 1, { scenario: ctx.name });
          continue;
        }
        vu.running = true; // taken now; run() starts it
        runs.push(vu.run(ctx.info, ctx.exec, "once"));
      }
      await stopGracefully(ctx, runs);
    },
  },
};

// ---------------------------------------------------------------------------
// The run.

class Runner {
  metrics = new Metrics();
  /** @type {unknown} */
  setupData = undefined;
  aborted = false;
  failed = false;
  activeVUs = 0;
  nextVU = 1;
  /** @type {VU[]} the scenarios' VUs */
  all = [];
  /** @type {VU[]} the VUs for setup/teardown and for handleSummary */
  helpers = [];
  /** @type {Agents} */
  agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  /** @param {string} script @param {Record<string, string>} env */
  constructor(script, env) {
    this.script = script;
    this.env = env;
  }

  /** @param {string} reason */
  abort(reason) {
    if (!this.aborted) console.error(`k6 shim: test aborted: ${reason}`);
    this.aborted = true;
    for (const vu of this.all) vu.requestStop();
  }

  /** @param {number} delta */
  vusChanged(delta) {
    this.activeVUs += delta;
    this.metrics.add("vus", "gauge", "default", this.activeVUs, {});
  }

  /** @param {SampleMessage} s */
  recordSample(s) {
    this.metrics.add(s.metric, s.metricType, s.contains, s.value, s.tags);
  }

  /** @param {HttpCall} call @param {HttpAnswer} answer */
  recordHttp(call, answer) {
    const expected = answer.status >= 200 && answer.status < 400;
    /** @type {Record<string, string>} */
    const tags = {
      proto: answer.proto,
      method: call.method,
      url: call.url,
      name: call.url,
      status: String(answer.status),
      expected_response: String(expected),
      ...call.tags,
    };
    if (answer.error) Object.assign(tags, { error: answer.error, error_code: String(answer.error_code) });
    this.metrics.add("http_reqs", "counter", "default", 1, tags);
    this.metrics.add("http_req_duration", "trend", "time", answer.duration, tags);
    this.metrics.add("http_req_failed", "rate", "default", expected ? 0 : 1, tags);
  }

  /** A new VU with its init context done. */
  async spawn() {
    const vu = new VU(this, this.nextVU++);
    this.all.push(vu);
    await vu.ready;
    this.metrics.add("vus_max", "gauge", "default", this.all.length, {});
    return vu;
  }

  /** @param {string} cwd */
  async run(cwd) {
    const probe = new VU(this, 0);
    this.helpers.push(probe);
    const { options, exports } = await probe.ready;
    const scenarios = options.scenarios ?? defaultScenario(options);
    const trendStats = options.summaryTrendStats ?? DEFAULT_TREND_STATS;

    /** @type {Map<string, VU[]>} */
    const pools = new Map();
    for (const [name, config] of Object.entries(scenarios)) {
      const executor = EXECUTORS[config.executor];
      if (!executor) throw new Error(`k6 shim: scenario "${name}": executor "${config.executor}" is not supported`);
      const exec = config.exec ?? "default";
      if (!exports.includes(exec)) throw new Error(`k6 shim: scenario "${name}": the script exports no "${exec}"`);
      pools.set(name, await Promise.all(Array.from({ length: executor.vus(config) }, () => this.spawn())));
    }

    let setupDone = !exports.includes("setup");
    if (!setupDone) {
      const { value } = await probe.call("setup", undefined, durationMs(options.setupTimeout, 60_000));
      // k6 hands setup's result to the VUs as JSON.
      this.setupData = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
      setupDone = !this.aborted;
    }

    const startedAt = Date.now();
    if (!this.aborted) {
      await Promise.all(
        Object.entries(scenarios).map(async ([name, config]) => {
          const offset = durationMs(config.startTime, 0);
          if (offset > 0) await wait(offset);
          const info = { name, executor: config.executor, startTime: startedAt + offset, tags: config.tags ?? {} };
          const ctx = { runner: this, name, config, vus: pools.get(name) ?? [], info, exec: config.exec ?? "default" };
          await /** @type {NonNullable<typeof EXECUTORS[string]>} */ (EXECUTORS[config.executor]).run(ctx);
        }),
      );
    }
    const runMs = Date.now() - startedAt;
    await Promise.all(this.all.map((vu) => vu.terminate()));

    if (setupDone && exports.includes("teardown")) {
      const wasAborted = this.aborted;
      this.aborted = false; // teardown runs after an abort too; its own abort still counts
      await probe.call("teardown", this.setupData, durationMs(options.teardownTimeout, 60_000));
      this.aborted ||= wasAborted;
    }
    await probe.terminate();

    const data = this.summaryData(options, trendStats, runMs);
    /** @type {Record<string, unknown>} */
    let outputs;
    if (exports.includes("handleSummary")) {
      // k6 calls handleSummary in a fresh VU: nothing from teardown's module state survives.
      const fresh = new VU(this, 0);
      this.helpers.push(fresh);
      await fresh.ready;
      const { value } = await fresh.call("handleSummary", data, durationMs(options.handleSummaryTimeout, 120_000));
      await fresh.terminate();
      outputs = /** @type {Record<string, unknown>} */ (value ?? {});
    } else {
      outputs = { stdout: textSummary(data.metrics) };
    }
    writeOutputs(outputs, cwd);

    const thresholdsFailed = Object.values(data.metrics).some((m) =>
      Object.values(m.thresholds ?? {}).some((t) => !t.ok));
    return { exitCode: this.aborted ? 108 : thresholdsFailed ? 99 : this.failed ? 110 : 0, data, outputs };
  }

  /** @param {Options} options @param {string[]} trendStats @param {number} runMs */
  summaryData(options, trendStats, runMs) {
    const seconds = runMs / 1000;
    /** @type {Record<string, { type: MetricType, contains: string, values: Record<string, number>, thresholds?: Record<string, { ok: boolean }> }>} */
    const metrics = {};
    for (const [name, series] of this.metrics.series) {
      metrics[name] = { type: series.type, contains: series.contains, values: sinkValues(series.type, series.samples, trendStats, seconds) };
    }
    for (const [key, list] of Object.entries(options.thresholds ?? {})) {
      const { parent, tags } = parseMetricKey(key);
      const series = this.metrics.series.get(parent);
      if (!series) {
        console.warn(`k6 shim: threshold on "${key}": no samples of "${parent}"`);
        continue;
      }
      const samples = series.samples.filter((s) => Object.entries(tags).every(([k, v]) => s.tags[k] === v));
      const values = sinkValues(series.type, samples, trendStats, seconds);
      const sorted = samples.map((s) => s.value).sort((a, b) => a - b);
      /** @type {Record<string, { ok: boolean }>} */
      const results = {};
      for (const item of list) {
        const source = typeof item === "string" ? item : item.threshold;
        results[source] = { ok: thresholdOk(source, series.type, sorted, values) };
      }
      metrics[key] = { ...(metrics[key] ?? { type: series.type, contains: series.contains, values }), thresholds: results };
    }
    /** @type {Map<string, { name: string, path: string, id: string, passes: number, fails: number }>} */
    const checks = new Map();
    for (const s of this.metrics.series.get("checks")?.samples ?? []) {
      const name = s.tags.check ?? "";
      const check = checks.get(name) ?? { name, path: `::${name}`, id: name, passes: 0, fails: 0 };
      if (s.value) check.passes++;
      else check.fails++;
      checks.set(name, check);
    }
    return {
      root_group: { name: "", path: "", id: "d41d8cd98f00b204e9800998ecf8427e", groups: [], checks: [...checks.values()] },
      options: { summaryTrendStats: trendStats, summaryTimeUnit: "", noColor: false },
      state: { isStdOutTTY: Boolean(process.stdout.isTTY), isStdErrTTY: Boolean(process.stderr.isTTY), testRunDurationMs: runMs },
      metrics,
      setup_data: this.setupData,
    };
  }
}

/** k6's shortcut options as a scenario. @param {Options} options @returns {Record<string, ScenarioConfig>} */
function defaultScenario(options) {
  if (options.duration) return { default: { executor: "constant-vus", vus: options.vus ?? 1, duration: options.duration } };
  return { default: { executor: "per-vu-iterations", vus: options.vus ?? 1, iterations: options.iterations ?? 1 } };
}

/** @param {Record<string, { values: Record<string, number> }>} metrics */
function textSummary(metrics) {
  const lines = Object.entries(metrics)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, m]) => `  ${name.padEnd(40, ".")}: ${Object.entries(m.values).map(([k, v]) => `${k}=${Math.round(v * 1000) / 1000}`).join(" ")}`);
  return `\n${lines.join("\n")}\n`;
}

/** handleSummary's result: stdout, stderr, or a file path (relative to the working directory). @param {Record<string, unknown>} outputs @param {string} cwd */
function writeOutputs(outputs, cwd) {
  for (const [target, content] of Object.entries(outputs)) {
    const text = typeof content === "string" ? content : JSON.stringify(content);
    if (target === "stdout") process.stdout.write(text);
    else if (target === "stderr") process.stderr.write(text);
    else {
      const file = path.resolve(cwd, target);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
  }
}

/**
 * Runs a k6 script through the shim.
 * @param {{ script: string, env?: Record<string, string | undefined>, cwd?: string }} run
 */
export async function runK6Shim({ script, env = process.env, cwd = process.cwd() }) {
  /** @type {Record<string, string>} */
  const clean = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  const runner = new Runner(path.resolve(cwd, script), clean);
  try {
    return await runner.run(cwd);
  } finally {
    await Promise.all([...runner.all, ...runner.helpers].map((vu) => vu.terminate()));
    runner.agents.http.destroy();
    runner.agents.https.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  if (args[0] === "run") args.shift();
  /** @type {Record<string, string | undefined>} */
  const env = { ...process.env }; // k6 run passes the system environment to __ENV too
  /** @type {string | undefined} */
  let script;
  for (let i = 0; i < args.length; i++) {
    const arg = /** @type {string} */ (args[i]);
    if (arg === "-e" || arg === "--env") {
      const pair = args[++i] ?? "";
      const at = pair.indexOf("=");
      if (at < 1) throw new Error(`-e wants NAME=value, got "${pair}"`);
      env[pair.slice(0, at)] = pair.slice(at + 1);
    } else if (!arg.startsWith("-") && script === undefined) script = arg;
    else throw new Error(`k6 shim: unsupported argument "${arg}"`);
  }
  if (!script) {
    console.error("usage: node load/k6/shim/run.js [run] [-e NAME=value]... script.js");
    process.exit(2);
  }
  try {
    const { exitCode } = await runK6Shim({ script, env });
    process.exitCode = exitCode;
  } catch (error) {
    // k6 exits 107 when the script throws (in init, setup, teardown or handleSummary).
    console.error(`k6 shim: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    process.exitCode = 107;
  }
}
