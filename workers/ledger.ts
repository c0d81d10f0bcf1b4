// How the API reaches the PaymentLedger Durable Object. There is exactly one
// ledger: a single writer is what lets it promise "never paid twice".
import type { PaymentLedger } from "../durable-objects/payment-ledger.ts";

export const LEDGER_NAME = "ledger";

export function ledger(env: Env): DurableObjectStub<PaymentLedger> {
  const namespace = env.LEDGER as DurableObjectNamespace<PaymentLedger>;
  return namespace.get(namespace.idFromName(LEDGER_NAME));
}
