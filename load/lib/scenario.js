// @ts-check
// Reshaping a scenario for a run, shared by the k6 script and the Node runner
// so both mean the same by MAX_REQUESTS and DURATION. Plain ES module with no imports.

/** @typedef {import("./random-scenario.js").Scenario} Scenario */

/**
 * MAX_REQUESTS, as the contest's own script uses it: the peak number of VUs.
 * @param {Scenario} scenario @param {number} maxVUs @returns {Scenario}
 */
export function withMaxVUs(scenario, maxVUs) {
  if (!(maxVUs >= 1)) throw new Error(`MAX_REQUESTS must be at least 1, got ${maxVUs}`);
  return { ...scenario, maxVUs: Math.floor(maxVUs) };
}

/**
 * DURATION: the whole chaos schedule compressed (or stretched) into the new
 * length, so a quick run still goes through every condition in order.
 * @param {Scenario} scenario @param {number} seconds @returns {Scenario}
 */
export function withDuration(scenario, seconds) {
  if (!(seconds > 0)) throw new Error(`DURATION must be more than 0 seconds, got ${seconds}`);
  if (seconds === scenario.durationSeconds) return scenario;
  const factor = seconds / scenario.durationSeconds;
  return {
    ...scenario,
    description: `${scenario.description} Compressed from ${scenario.durationSeconds} s to ${seconds} s.`,
    durationSeconds: seconds,
    chaos: scenario.chaos.map((step) => ({ ...step, at: Math.round(step.at * factor * 10) / 10 })),
  };
}
