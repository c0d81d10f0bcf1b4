// Kept apart from ledger.ts so that tests outside the Workers runtime can read it.

/**
 * How long a caller waits for the ledger. It answers in milliseconds, tens of
 * them while it drains a backlog; one that takes seconds is hung, and waiting
 * on it would hold every summary and the outbox's forwarding with it. Past
 * this a call counts as failed, its effect unknown: the outbox sends the
 * batch again (the ledger's accept is idempotent), the API answers 503.
 */
export const LEDGER_DEADLINE_MS = 3_000;
