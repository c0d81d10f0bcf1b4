// How long a payment waits before its next attempt. Pure, with the random
// source passed in so tests can pin it.

export const BASE_RETRY_MS = 20;
export const MAX_RETRY_MS = 1_000;

/**
 * Exponential backoff with jitter after `attempts` failed attempts. The cap is
 * low on purpose: the processors' outages are short, and a backlog must drain
 * soon after one ends. Jitter keeps a burst of failures from retrying in step.
 */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BASE_RETRY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_MS);
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
