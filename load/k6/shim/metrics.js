// @ts-check
// The shim's `k6/metrics` module: custom metrics whose samples go to the main
// thread, which aggregates them the way k6's sinks do.
import { emit } from "./runtime.js";

/** @typedef {"counter" | "gauge" | "rate" | "trend"} MetricType */

class Metric {
  /** @type {MetricType} */
  static type = "counter";
  /** @param {string} name @param {boolean} [isTime] */
  constructor(name, isTime = false) {
    if (!/^[\p{L}\p{N}._!?/&#()<>% -]{1,128}$/u.test(name)) throw new Error(`invalid metric name "${name}"`);
    this.name = name;
    this.isTime = isTime;
  }

  /** @param {number | boolean} value @param {Record<string, string>} [tags] */
  add(value, tags) {
    const type = /** @type {typeof Metric} */ (this.constructor).type;
    emit(this.name, type, Number(value), tags, this.isTime ? "time" : "default");
  }
}

export class Counter extends Metric {
  /** @type {MetricType} */
  static type = "counter";
}
export class Gauge extends Metric {
  /** @type {MetricType} */
  static type = "gauge";
}
export class Rate extends Metric {
  /** @type {MetricType} */
  static type = "rate";
}
export class Trend extends Metric {
  /** @type {MetricType} */
  static type = "trend";
}

export default { Counter, Gauge, Rate, Trend };
