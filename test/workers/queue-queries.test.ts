// The queries the dispatcher runs on every pump must stay cheap however long
// the run: each reads an index, never the whole table.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { unparkAll } from "../../durable-objects/queue.ts";
import { freshLedger } from "./helpers.ts";

function plan(sql: SqlStorage, query: string): string {
  return sql
    .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${query}`)
    .toArray()
    .map((row) => row.detail)
    .join("; ");
}

describe("the queue's hot queries", () => {
  it("count the waiting payments from the index alone", async () => {
    await runInDurableObject(freshLedger(), (_ledger, state) => {
      expect(plan(state.storage.sql, "SELECT COUNT(*) AS n FROM payments WHERE status IN ('queued', 'unknown')")).toBe(
        "SCAN payments USING COVERING INDEX payments_waiting",
      );
    });
  });

  it("find the next due payments and the earliest due time through the same index", async () => {
    await runInDurableObject(freshLedger(), (_ledger, state) => {
      const due = plan(
        state.storage.sql,
        "SELECT correlation_id FROM payments WHERE status IN ('queued', 'unknown') AND due_at <= 1 ORDER BY due_at LIMIT 64",
      );
      expect(due).toMatch(/^SEARCH payments USING (COVERING )?INDEX payments_waiting \(due_at<\?\)$/);
      expect(plan(state.storage.sql, "SELECT MIN(due_at) AS due FROM payments WHERE status IN ('queued', 'unknown')")).toContain(
        "USING COVERING INDEX payments_waiting",
      );
    });
  });

  it("bring parked payments back through the same index", async () => {
    await runInDurableObject(freshLedger(), (_ledger, state) => {
      const sql = state.storage.sql;
      const update = "UPDATE payments SET due_at = accepted_at WHERE status IN ('queued', 'unknown') AND due_at > 1 AND status = 'queued'";
      expect(plan(sql, update)).toBe("SEARCH payments USING INDEX payments_waiting (due_at>?)");
      // The query as written in queue.ts.
      sql.exec("INSERT INTO payments (correlation_id, amount_cents, accepted_at, status, due_at) VALUES ('a', 1, 1, 'queued', 9)");
      unparkAll(sql, 5);
      expect(sql.exec<{ due_at: number }>("SELECT due_at FROM payments WHERE correlation_id = 'a'").one().due_at).toBe(1);
    });
  });
});
