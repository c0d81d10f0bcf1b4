// @ts-check
// The shim's `k6` module: sleep, check, group, fail, randomSeed.
import { AbortTest, blockFor, emit, vu } from "./runtime.js";

/** @param {number} seconds */
export function sleep(seconds) {
  blockFor(seconds);
}

/**
 * Runs each named check on `value`, records it in the `checks` rate and
 * returns whether all passed.
 * @template T
 * @param {T} value @param {Record<string, (value: T) => unknown>} sets @param {Record<string, string>} [tags]
 */
export function check(value, sets, tags = {}) {
  let all = true;
  for (const [name, test] of Object.entries(sets)) {
    let ok = false;
    try {
      ok = typeof test === "function" ? Boolean(test(value)) : Boolean(test);
    } catch (error) {
      if (error instanceof AbortTest) throw error;
      ok = false;
    }
    emit("checks", "rate", ok ? 1 : 0, { ...tags, check: name });
    all &&= ok;
  }
  return all;
}

/**
 * @template R
 * @param {string} name @param {() => R} fn @returns {R}
 */
export function group(name, fn) {
  const outer = vu.group;
  vu.group = `${outer}::${name}`;
  const started = performance.now();
  try {
    return fn();
  } finally {
    emit("group_duration", "trend", performance.now() - started, {}, "time");
    vu.group = outer;
  }
}

/** @param {string} [message] @returns {never} */
export function fail(message = "") {
  throw new Error(message);
}

/** Accepted and ignored: the shim's Math.random is not seedable. @param {number} _seed */
export function randomSeed(_seed) {}

export default { sleep, check, group, fail, randomSeed };
