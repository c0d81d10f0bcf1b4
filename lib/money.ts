// Money is integer cents everywhere it is stored or summed; floats only at the
// JSON edges, where the contract speaks in decimal amounts.

/** The largest single payment accepted: 1,000,000.00. */
export const MAX_AMOUNT_CENTS = 100_000_000;

/**
 * Converts a decimal amount to integer cents, or null when it has more than
 * two decimals. 19.9 * 100 is 1989.9999999999998 in binary floating point, so
 * "two decimals" means "within a hair of a whole number of cents".
 */
export function toCents(amount: number): number | null {
  if (!Number.isFinite(amount)) return null;
  const cents = Math.round(amount * 100);
  return Math.abs(amount * 100 - cents) < 1e-6 ? cents : null;
}

/** Integer cents back to the decimal amount the contract speaks in. */
export function toAmount(cents: number): number {
  return cents / 100;
}
