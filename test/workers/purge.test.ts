// Purge forgets queue and books; answers to requests sent before it change nothing.
import { describe, expect, it } from "vitest";
import { fakeProcessors } from "./fake-processors.ts";
import { ALL_TIME, acceptOne, freshLedger, paymentId } from "./helpers.ts";

describe("purge", () => {
  it("forgets paid and queued payments, and lets a correlationId start again", async () => {
    const fakes = fakeProcessors();
    const ledger = freshLedger();
    const id = paymentId();
    await acceptOne(ledger, id, 100);
    await expect.poll(() => ledger.summary(...ALL_TIME)).toMatchObject({ default: { totalRequests: 1 } });
    fakes.default.mode = "hang";
    await acceptOne(ledger, paymentId(), 100);

    await ledger.purge();
    expect(await ledger.summary(...ALL_TIME)).toMatchObject({ default: { totalRequests: 0 }, fallback: { totalRequests: 0 } });
    expect((await ledger.stats()).waiting).toBe(0);
    expect(await acceptOne(ledger, id, 100)).toBe("accepted");
  });
});
