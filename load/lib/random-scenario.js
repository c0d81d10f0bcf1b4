// @ts-check
// A seeded random chaos schedule, so routing is judged on schedules nobody
// tuned it for. Plain ES module with no imports: k6 and Node both load it.

/**
 * @typedef {{ delay: number, failure: boolean }} ProcessorChaos
 * @typedef {{ at: number, default: ProcessorChaos, fallback: ProcessorChaos }} ChaosStep
 * @typedef {{ name: string, description: string, durationSeconds: number, maxVUs: number,
 *   amount: number, auditEverySeconds: number, auditEndOffsetSeconds?: number, chaos: ChaosStep[] }} Scenario
 *   auditEndOffsetSeconds: audits compare [now − 15 s, now − this] (default 2, the final round's; the preview's was 1.5)
 */

/** mulberry32: a small, well-known 32-bit PRNG; good enough for schedules. @param {number} seed */
export function prng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One processor's condition for a stretch: mostly fine, often slow (0.1–5 s),
 * sometimes failing. @param {() => number} random @returns {ProcessorChaos}
 */
function condition(random) {
  const roll = random();
  if (roll < 0.45) return { delay: Math.floor(random() * 25), failure: false };
  if (roll < 0.75) return { delay: [100, 250, 500, 1000, 2000, 5000][Math.floor(random() * 6)] ?? 500, failure: false };
  return { delay: Math.floor(random() * 500), failure: true };
}

/**
 * Stretches of 10–70 s (the last one shorter if need be), each processor's
 * condition drawn independently; the first stretch starts both fine.
 * @param {number} seed @param {{ durationSeconds?: number, maxVUs?: number, amount?: number }} [options]
 * @returns {Scenario}
 */
export function randomScenario(seed, options = {}) {
  const { durationSeconds = 120, maxVUs = 550, amount = 19.9 } = options;
  const random = prng(seed);
  /** @type {ChaosStep[]} */
  const chaos = [{ at: 0, default: { delay: 0, failure: false }, fallback: { delay: 0, failure: false } }];
  let at = 10 + Math.floor(random() * 20);
  while (at < durationSeconds) {
    chaos.push({ at, default: condition(random), fallback: condition(random) });
    at += 10 + Math.floor(random() * 61);
  }
  return {
    name: `random-${seed}`,
    description: `Seeded random chaos (seed ${seed}): stretches of 10-70 s, each processor fine, slow or failing.`,
    durationSeconds,
    maxVUs,
    amount,
    auditEverySeconds: 10,
    chaos,
  };
}
