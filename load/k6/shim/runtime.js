// @ts-check
// Worker side of the k6 shim: the state of the VU this worker thread plays,
// and the two blocking primitives k6 scripts rely on (sleep, and an HTTP call
// that returns its response). The HTTP call is sent to the main thread, which
// does the I/O; this thread blocks on Atomics.wait until the answer is there
// and takes it with receiveMessageOnPort, so no event loop turn is needed.
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";

/**
 * @typedef {{ name: string, executor: string, startTime: number, tags: Record<string, string> }} ScenarioInfo
 * @typedef {{ method: string, url: string, body: string | null, headers: Record<string, string>,
 *   timeoutMs: number, responseType: string, tags: Record<string, string> }} HttpCall
 * @typedef {{ status: number, body: string | null, headers: Record<string, string>, error: string,
 *   error_code: number, duration: number, proto: string, url: string }} HttpAnswer
 * @typedef {{ type: "sample", metric: string, metricType: "counter" | "gauge" | "rate" | "trend",
 *   contains: "default" | "time", value: number, tags: Record<string, string> }} SampleMessage
 * @typedef {{ script: string, env: Record<string, string>, vu: number, port: import("node:worker_threads").MessagePort,
 *   signal: SharedArrayBuffer, stop: SharedArrayBuffer }} VUWorkerData
 */

/** Thrown by exec.test.abort() and fail(): unwinds the current function. */
export class AbortTest extends Error {}

const data = /** @type {VUWorkerData} */ (workerData);
const signal = new Int32Array(data.signal);
const stopFlag = new Int32Array(data.stop);
const napping = new Int32Array(new SharedArrayBuffer(4));

export const vu = {
  id: data.vu,
  /** Iterations this VU has started, in all scenarios. */
  iterationInInstance: -1,
  /** Iterations this VU has started in its current scenario. */
  iterationInScenario: -1,
  /** @type {ScenarioInfo | undefined} */
  scenario: undefined,
  group: "",
};

export const env = data.env;
export const scriptPath = data.script;

/** True once the main thread asked this VU to stop after its iteration. */
export function stopRequested() {
  return Atomics.load(stopFlag, 0) !== 0;
}

/** Blocks the thread for `seconds`, like k6's sleep. @param {number} seconds */
export function blockFor(seconds) {
  const ms = Math.max(0, Number(seconds) * 1000);
  if (ms > 0) Atomics.wait(napping, 0, 0, ms);
}

/** Sends one HTTP call to the main thread and blocks until it answered. @param {HttpCall} call @returns {HttpAnswer} */
export function httpCall(call) {
  Atomics.store(signal, 0, 0);
  data.port.postMessage(call);
  Atomics.wait(signal, 0, 0);
  const reply = receiveMessageOnPort(data.port);
  if (!reply) throw new Error("k6 shim: the main thread answered without a message");
  return /** @type {HttpAnswer} */ (reply.message);
}

/** Tags every sample carries: the scenario's (like k6's `scenario` system tag) and the group. */
export function systemTags() {
  /** @type {Record<string, string>} */
  const tags = { group: vu.group };
  if (vu.scenario) Object.assign(tags, vu.scenario.tags, { scenario: vu.scenario.name });
  return tags;
}

/**
 * Reports one metric sample to the main thread.
 * @param {string} metric @param {SampleMessage["metricType"]} metricType @param {number} value
 * @param {Record<string, string>} [tags] @param {SampleMessage["contains"]} [contains]
 */
export function emit(metric, metricType, value, tags = {}, contains = "default") {
  /** @type {SampleMessage} */
  const message = { type: "sample", metric, metricType, contains, value, tags: { ...systemTags(), ...tags } };
  parentPort?.postMessage(message);
}

/** exec.test.fail(): the run goes on but ends with k6's exit code 110. @param {string} message */
export function failTest(message) {
  console.error(message);
  parentPort?.postMessage({ type: "fail", reason: message });
}

/** @param {string} reason */
export function abortTest(reason) {
  parentPort?.postMessage({ type: "abort", reason });
  throw new AbortTest(`test aborted: ${reason}`);
}
