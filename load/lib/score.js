// @ts-check
// How a run is scored (docs/contract.md §4), written once for the k6 script and the Node
// runner alike. Plain ES module with no imports.

/**
 * @typedef {{ totalRequests: number, totalAmount: number, totalFee: number, feePerTransaction?: number }} ProcessorTotals
 * @typedef {{ default: ProcessorTotals, fallback: ProcessorTotals }} ProcessorBooks
 */

/**
 * @param {{ processors: ProcessorBooks, p99Ms: number, inconsistentAudits: number, accepted: number }} run
 *   processors: each processor's admin summary over the whole run;
 *   p99Ms: p99 of every HTTP request of the test that got an expected response, the processors'
 *     admin calls included (load/lib/measure.js's CONTEST_LATENCY_METRIC), not of the service's alone;
 *   inconsistentAudits: audits whose counts differed from the processors';
 *   accepted: POST /payments answered 2xx.
 */
export function score(run) {
  const { default: d, fallback: f } = run.processors;
  const processed = d.totalRequests + f.totalRequests;
  const gross = round2(d.totalAmount + f.totalAmount);
  const fees = round2(d.totalFee + f.totalFee);
  const net = round2(gross - fees);
  // 2% more profit per millisecond of p99 under 11 ms.
  const latencyBonus = Math.max(0, (11 - run.p99Ms) * 0.02);
  // Any inconsistency at all costs 35% of the final profit.
  const fine = run.inconsistentAudits > 0 ? 0.35 : 0;
  const profit = round2(net * (1 + latencyBonus) * (1 - fine));
  // Positive lag is revenue never collected; negative (more paid than accepted) disqualifies.
  const lag = run.accepted - processed;
  return {
    processed,
    gross,
    fees,
    net,
    latencyBonus: round4(latencyBonus),
    fine,
    profit,
    lag,
    defaultShare: processed === 0 ? 0 : round4(d.totalRequests / processed),
    disqualified: lag < 0,
  };
}

/**
 * The oracle's fees: every payment priced at the cheaper processor that was not failing in the chaos
 * step it arrived in (default unless it was failing; else fallback unless it was failing; default's
 * fee when both were). Default is always the cheaper one (docs/contract.md §3).
 * @param {{ default: { failure: boolean }, fallback: { failure: boolean } }[]} chaos the schedule's steps
 * @param {number[]} acceptedPerStep payments accepted in each step (by when they were sent), index as chaos
 * @param {number} amount each payment's amount
 * @param {{ default: number, fallback: number }} fees each processor's fee per transaction (0.05 = 5%)
 * @returns {number} the fees, rounded to cents
 */
export function oracleFee(chaos, acceptedPerStep, amount, fees) {
  let total = 0;
  acceptedPerStep.forEach((accepted, i) => {
    const step = chaos[i];
    if (!step) throw new Error(`accepted payments in step ${i}, but the schedule has ${chaos.length} steps`);
    const fee = step.default.failure && !step.fallback.failure ? fees.fallback : fees.default;
    total += accepted * amount * fee;
  });
  return round2(total);
}

/** The processors admit this many requests at once (docs/contract.md §3); more wait or get 429. */
export const PROCESSOR_ADMISSION = 800;

/**
 * The oracle, with default's throughput capped at what its admission allows:
 * at most PROCESSOR_ADMISSION requests at once, each taking its delay, so
 * 800 / delay payments a second. Each second's payments go to default up to
 * that cap, the rest are priced as the plain oracle would price a failing
 * default. No waiting is modelled: a router that holds payments back for a
 * faster default later can beat it, one that never does cannot. It tells how
 * much of a gap to the plain oracle is the processors' capacity, not routing.
 * @param {{ default: { delay: number, failure: boolean }, fallback: { delay: number, failure: boolean }, at: number }[]} chaos
 * @param {number[]} acceptedPerSecond payments accepted in each second of the run (index: second since the load began)
 * @param {number} amount @param {{ default: number, fallback: number }} fees
 * @returns {number} the fees, rounded to cents
 */
export function capacityOracleFee(chaos, acceptedPerSecond, amount, fees) {
  let total = 0;
  acceptedPerSecond.forEach((accepted, second) => {
    const step = chaosAt(chaos, second);
    if (!step) throw new Error("an empty schedule");
    const overflowFee = step.fallback.failure ? fees.default : fees.fallback;
    const cap = step.default.failure ? 0 : step.default.delay > 0 ? (PROCESSOR_ADMISSION * 1000) / step.default.delay : Infinity;
    const onDefault = Math.min(accepted, cap);
    total += (onDefault * fees.default + (accepted - onDefault) * overflowFee) * amount;
  });
  return round2(total);
}

/** The schedule step in force `seconds` into the run. @template {{ at: number }} T @param {T[]} chaos @param {number} seconds */
export function chaosAt(chaos, seconds) {
  let current = chaos[0];
  for (const step of chaos) if (step.at <= seconds) current = step;
  return current;
}

/** VUs a linear ramp from 1 to max has reached `seconds` into a run of `duration`. @param {number} max @param {number} seconds @param {number} duration */
export function vusAt(max, seconds, duration) {
  return Math.max(1, Math.min(max, Math.round(1 + ((max - 1) * seconds) / duration)));
}

/** @param {number} x */
const round2 = (x) => Math.round(x * 100) / 100;
/** @param {number} x */
const round4 = (x) => Math.round(x * 10000) / 10000;
