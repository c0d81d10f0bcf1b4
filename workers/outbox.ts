// How the API reaches its own PaymentOutbox: one per process, on that
// process's disk. Every API instance has its own, so the name is the same.
import type { PaymentOutbox } from "../durable-objects/payment-outbox.ts";

const OUTBOX_NAME = "outbox";

export function outbox(env: Env): DurableObjectStub<PaymentOutbox> {
  const namespace = env.OUTBOX as DurableObjectNamespace<PaymentOutbox>;
  return namespace.get(namespace.idFromName(OUTBOX_NAME));
}
