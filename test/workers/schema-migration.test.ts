// A ledger written by an earlier version (a Docker volume, `npm start
// --keep-data`) opens with every payment intact in today's layout.
import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { summarize } from "../../durable-objects/books.ts";
import { migrate } from "../../durable-objects/schema.ts";
import { freshLedger } from "./helpers.ts";

/** The first layout, keyed by correlationId, as the first releases created it. */
const FIRST_LAYOUT = `
CREATE TABLE payments (
  correlation_id TEXT PRIMARY KEY,
  amount_cents   INTEGER NOT NULL,
  accepted_at    INTEGER NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'unknown', 'paid')),
  processor      TEXT CHECK (processor IN ('default', 'fallback')),
  requested_at   INTEGER,
  settle_after   INTEGER,
  attempts       INTEGER NOT NULL DEFAULT 0,
  due_at         INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX payments_due ON payments (due_at) WHERE status IN ('queued', 'unknown');
CREATE INDEX payments_books ON payments (requested_at) WHERE status = 'paid';`;

type Row = {
  correlation_id: string;
  amount_cents: number;
  accepted_at: number;
  status: string;
  processor: string | null;
  requested_at: number | null;
  settle_after: number | null;
  attempts: number;
  due_at: number;
};

const ROWS: Row[] = [
  // Inserted out of arrival order, as random keys would have stored them.
  {
    correlation_id: "ffffffff-0000-4000-8000-000000000003",
    amount_cents: 300,
    accepted_at: 3_000,
    status: "queued",
    processor: null,
    requested_at: null,
    settle_after: null,
    attempts: 0,
    due_at: 3_000,
  },
  {
    correlation_id: "00000000-0000-4000-8000-000000000001",
    amount_cents: 100,
    accepted_at: 1_000,
    status: "paid",
    processor: "default",
    requested_at: 1_050,
    settle_after: 9_000,
    attempts: 1,
    due_at: 1_000,
  },
  {
    correlation_id: "88888888-0000-4000-8000-000000000002",
    amount_cents: 200,
    accepted_at: 2_000,
    status: "unknown",
    processor: "fallback",
    requested_at: 2_100,
    settle_after: 12_000,
    attempts: 2,
    due_at: 2_500,
  },
];

it("rebuilds the first layout in arrival order, keeping every column of every payment", async () => {
  await runInDurableObject(freshLedger(), (_ledger, state) => {
    const sql = state.storage.sql;
    state.storage.transactionSync(() => {
      sql.exec("DROP TABLE payments");
      sql.exec(FIRST_LAYOUT);
      for (const r of ROWS) {
        sql.exec(
          "INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          r.correlation_id,
          r.amount_cents,
          r.accepted_at,
          r.status,
          r.processor,
          r.requested_at,
          r.settle_after,
          r.attempts,
          r.due_at,
        );
      }
    });

    state.storage.transactionSync(() => migrate(sql));

    const table = sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'payments'").one();
    expect(table.sql).not.toMatch(/WITHOUT ROWID/i);
    const names = sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master ORDER BY name")
      .toArray()
      .map((r) => r.name);
    expect(names).not.toContain("payments_by_correlation_id");
    expect(names).not.toContain("payments_due");
    expect(names).toEqual(expect.arrayContaining(["payments_waiting", "payments_books"]));

    const stored = sql.exec<Row & { id: number }>("SELECT * FROM payments ORDER BY id").toArray();
    expect(stored.map(({ id: _id, ...row }) => row)).toEqual([...ROWS].sort((a, b) => a.accepted_at - b.accepted_at));
    expect(summarize(sql, 0, 10_000)).toEqual({
      default: { totalRequests: 1, totalAmount: 1 },
      fallback: { totalRequests: 0, totalAmount: 0 },
    });

    // A second start finds nothing to do.
    state.storage.transactionSync(() => migrate(sql));
    expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM payments").one().n).toBe(3);
  });
});
