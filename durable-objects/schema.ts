// One table holds every payment from the moment it is accepted. The queue is
// the rows not yet paid; the books are the rows paid, indexed by the
// requestedAt the processor holds. Keeping both in one row means moving a
// payment from the queue into the books is a single UPDATE: it can never be
// in both, or in neither.
//
// status:
//   queued   accepted; no attempt can still land anywhere; free to go to either processor
//   sending  an attempt (or a lookup) is on the wire to `processor`
//   unknown  an attempt to `processor` may have landed; pinned there until settled
//   paid     `processor` confirmed it, stored with `requested_at`
//
// Rows are stored in arrival order (the rowid), not by correlationId. The
// dispatcher claims payments oldest first and they are answered in about the
// order they left, so the rows one commit touches sit together on a few
// pages. Keyed by the random correlationId, every payment dirtied a page of
// its own in each commit: nearly twice the bytes written per payment, and
// more engine CPU (docs/decisions.md, 0415e8f).
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS payments (
  id             INTEGER PRIMARY KEY,
  correlation_id TEXT NOT NULL UNIQUE,
  amount_cents   INTEGER NOT NULL,
  accepted_at    INTEGER NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'unknown', 'paid')),
  processor      TEXT CHECK (processor IN ('default', 'fallback')),
  requested_at   INTEGER,
  settle_after   INTEGER,
  attempts       INTEGER NOT NULL DEFAULT 0,
  due_at         INTEGER NOT NULL
);
-- The waiting payments by due time. It holds status too, so counting them
-- (ten times a second while default is busy) reads this index alone: on
-- (due_at) only, counting 14,000 waiting among 40,000 rows looked up each
-- row in the table, 5.9 ms against 0.15 ms (SQLite in memory).
CREATE INDEX IF NOT EXISTS payments_waiting ON payments (due_at, status) WHERE status IN ('queued', 'unknown');
CREATE INDEX IF NOT EXISTS payments_books ON payments (requested_at) WHERE status = 'paid';
CREATE TABLE IF NOT EXISTS settings (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Brings any earlier layout up to SCHEMA, keeping every row. Run it in one transaction. */
export function migrate(sql: SqlStorage): void {
  const payments = sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'payments'").toArray()[0];
  // Every earlier layout was keyed by correlationId: rebuild it in arrival order.
  const rebuild = payments !== undefined && /WITHOUT ROWID/i.test(payments.sql);
  if (rebuild) {
    sql.exec(`
      DROP INDEX IF EXISTS payments_due;
      DROP INDEX IF EXISTS payments_waiting;
      DROP INDEX IF EXISTS payments_books;
      ALTER TABLE payments RENAME TO payments_by_correlation_id;`);
  }
  sql.exec(SCHEMA);
  if (rebuild) {
    sql.exec(`
      INSERT INTO payments (correlation_id, amount_cents, accepted_at, status, processor, requested_at, settle_after, attempts, due_at)
        SELECT correlation_id, amount_cents, accepted_at, status, processor, requested_at, settle_after, attempts, due_at
        FROM payments_by_correlation_id ORDER BY accepted_at;
      DROP TABLE payments_by_correlation_id;`);
  }
}
