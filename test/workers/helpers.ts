import { env } from "cloudflare:workers";
import type { PaymentLedger } from "../../durable-objects/payment-ledger.ts";

/** A ledger of its own for each test: storage is shared within a test file. */
export function freshLedger(name = crypto.randomUUID()): DurableObjectStub<PaymentLedger> {
  return env.LEDGER.get(env.LEDGER.idFromName(name));
}

export const ALL_TIME = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] as const;

export function paymentId(): string {
  return crypto.randomUUID();
}

/** Hands the ledger one payment, as an outbox would, accepted now. */
export async function acceptOne(ledger: DurableObjectStub<PaymentLedger>, correlationId: string, cents: number): Promise<string> {
  const { results } = await ledger.accept([{ correlationId, cents, acceptedAt: Date.now() }]);
  return results[0]!;
}
