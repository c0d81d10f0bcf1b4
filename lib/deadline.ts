// A bound on how long a caller waits for another process.

/** The call did not settle in time: it may still take effect later, or never. */
export class DeadlineExceeded extends Error {
  override readonly name = "DeadlineExceeded";
}

/**
 * Settles as `work` does, or rejects with DeadlineExceeded once `ms` have
 * passed. The work itself is not stopped (a call already sent cannot be taken
 * back): its outcome is unknown to this caller, and only what is safe to do
 * twice may be tried again.
 */
export function withDeadline<T>(work: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer!: ReturnType<typeof setTimeout>; // set at once: a Promise runs its executor synchronously
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`${what}: no answer within ${ms} ms`)), ms);
  });
  // The timer is cleared the moment either side settles: a pending timer keeps a Durable Object busy.
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
