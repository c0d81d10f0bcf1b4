// @ts-check
// Module resolution for k6 scripts under the shim: `k6` and `k6/*` resolve to
// the shim's own modules, remote modules are refused, the rest is Node's.
// Used in-thread through module.registerHooks (Node >= 22.15), or as a
// module.register() hooks module on older Node.

/** @type {Record<string, string>} */
const MODULES = {
  k6: "./k6.js",
  "k6/http": "./http.js",
  "k6/metrics": "./metrics.js",
  "k6/execution": "./execution.js",
};

/**
 * @template T
 * @param {string} specifier @param {object} context @param {(specifier: string, context: any) => T}
 *   nextResolve @returns {T | { url: string, shortCircuit: true }}
 */
export function resolve(specifier, context, nextResolve) {
  if (specifier === "k6" || specifier.startsWith("k6/")) {
    const file = MODULES[specifier];
    if (!file) throw new Error(`k6 shim: module "${specifier}" is not provided (only ${Object.keys(MODULES).join(", ")})`);
    return { url: new URL(file, import.meta.url).href, shortCircuit: true };
  }
  if (/^https?:\/\//.test(specifier)) throw new Error(`k6 shim: remote module "${specifier}" is not supported`);
  return nextResolve(specifier, context);
}
