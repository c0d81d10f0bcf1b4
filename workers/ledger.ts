// How the API reaches the PaymentLedger Durable Object. There is exactly one
// ledger: a single writer is what lets it promise "never paid twice".
//
// In one process (wrangler dev, tests) the API holds the Durable Object
// namespace itself. In the production shape the ledger lives in the engine
// process and the API gets LEDGER_RPC instead: a JS RPC binding, over a unix
// socket, to the engine's LedgerGateway, which offers the same methods.
import { WorkerEntrypoint } from "cloudflare:workers";
import type { PaymentLedger } from "../durable-objects/payment-ledger.ts";

export const LEDGER_NAME = "ledger";

type Ledger = Pick<PaymentLedger, "accept" | "summary" | "purge" | "stats">;
type Rpc<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never };

export function ledger(env: Env): Rpc<Ledger> {
  const remote = (env as Env & { LEDGER_RPC?: Service<LedgerGateway> }).LEDGER_RPC;
  if (remote) return remote as unknown as Rpc<Ledger>;
  return localLedger(env);
}

function localLedger(env: Env): DurableObjectStub<PaymentLedger> {
  const namespace = env.LEDGER as DurableObjectNamespace<PaymentLedger>;
  return namespace.get(namespace.idFromName(LEDGER_NAME));
}

/** The engine's front door for APIs in other processes: each method forwards to the ledger. */
export class LedgerGateway extends WorkerEntrypoint<Env> implements Rpc<Ledger> {
  accept(correlationId: string, cents: number) {
    return localLedger(this.env).accept(correlationId, cents);
  }
  summary(fromMs: number, toMs: number) {
    return localLedger(this.env).summary(fromMs, toMs);
  }
  purge() {
    return localLedger(this.env).purge();
  }
  stats() {
    return localLedger(this.env).stats();
  }
}
