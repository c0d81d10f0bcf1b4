// @ts-check
// The shim's `k6/execution` module: what the script may ask about its VU,
// scenario and test. Instance-wide counters are not tracked (they read 0).
import { abortTest, env, failTest, vu as state } from "./runtime.js";

/** @param {string} what */
function outside(what) {
  return new Error(`k6 shim: ${what} is only available while a scenario runs, not in init, setup or teardown`);
}

export const scenario = {
  get name() {
    if (!state.scenario) throw outside("exec.scenario");
    return state.scenario.name;
  },
  get executor() {
    if (!state.scenario) throw outside("exec.scenario");
    return state.scenario.executor;
  },
  /** Unix ms at which the scenario started. */
  get startTime() {
    if (!state.scenario) throw outside("exec.scenario");
    return state.scenario.startTime;
  },
  get progress() {
    return 0;
  },
  get iterationInInstance() {
    return state.iterationInScenario;
  },
  get iterationInTest() {
    return state.iterationInScenario;
  },
};

export const instance = {
  iterationsInterrupted: 0,
  iterationsCompleted: 0,
  vusActive: 0,
  vusInitialized: 0,
  currentTestRunDuration: 0,
};

export const vu = {
  get idInInstance() {
    return state.id;
  },
  get idInTest() {
    return state.id;
  },
  get iterationInInstance() {
    return state.iterationInInstance;
  },
  get iterationInScenario() {
    return state.iterationInScenario;
  },
  get tags() {
    return state.scenario ? { ...state.scenario.tags, scenario: state.scenario.name } : {};
  },
  get metrics() {
    return { tags: this.tags, metadata: {} };
  },
};

export const test = {
  /** @param {string} [reason] */
  abort(reason = "test aborted") {
    abortTest(reason);
  },
  /** @param {string} [message] */
  fail(message = "test failed") {
    failTest(message);
  },
  get options() {
    return { env };
  },
};

export default { scenario, instance, vu, test };
