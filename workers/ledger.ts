// How the API and its outbox reach the PaymentLedger Durable Object. Locally
// there is exactly one ledger: a single writer is what lets it promise "never
// paid twice". Sharded (workers/mode.ts), each payment has exactly one shard
// (lib/shard.ts), which keeps that promise per payment.
//
// In one process (wrangler dev, tests) the worker holds the Durable Object
// namespace itself. In the production shape the ledger lives in the engine
// process and the API gets LEDGER_RPC instead: a JS RPC binding, over a unix
// socket, to the engine's LedgerGateway, which offers the same methods.
import { WorkerEntrypoint } from "cloudflare:workers";
import type { PaymentLedger } from "../durable-objects/payment-ledger.ts";
import type { IncomingPayment } from "../durable-objects/queue.ts";
import { withDeadline } from "../lib/deadline.ts";
import { SINGLE_LEDGER_NAME, shardName } from "../lib/shard.ts";
import { LEDGER_DEADLINE_MS } from "./ledger-deadline.ts";

export const LEDGER_NAME = SINGLE_LEDGER_NAME;

type Ledger = Pick<PaymentLedger, "accept" | "summary" | "purge" | "stats">;
type Shard = Pick<PaymentLedger, "acceptNow" | "summaryCents" | "purge" | "stats">;
type Rpc<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never };

/** The ledger, each call bounded by LEDGER_DEADLINE_MS. */
export function ledger(env: Env): Rpc<Ledger> {
  const remote = (env as Env & { LEDGER_RPC?: Service<LedgerGateway> }).LEDGER_RPC;
  const target = remote ? (remote as unknown as Rpc<Ledger>) : localLedger(env);
  const bounded = <T>(work: PromiseLike<T>, what: string) => withDeadline(work, LEDGER_DEADLINE_MS, `ledger.${what}`);
  return {
    accept: (payments) => bounded(target.accept(payments), "accept"),
    summary: (fromMs, toMs) => bounded(target.summary(fromMs, toMs), "summary"),
    purge: () => bounded(target.purge(), "purge"),
    stats: () => bounded(target.stats(), "stats"),
  };
}

/**
 * Shard `index` of `shards`, each call bounded by LEDGER_DEADLINE_MS. A
 * sharded ledger is reached through the LEDGER namespace itself (one
 * process, or Cloudflare's network), never through the engine's gateway.
 */
export function ledgerShard(env: Env, index: number, shards: number): Rpc<Shard> {
  const namespace = env.LEDGER as DurableObjectNamespace<PaymentLedger> | undefined;
  if (!namespace) throw new Error("a sharded ledger needs the LEDGER Durable Object namespace bound in this worker");
  const stub = namespace.get(namespace.idFromName(shardName(index, shards)));
  const bounded = <T>(work: PromiseLike<T>, what: string) => withDeadline(work, LEDGER_DEADLINE_MS, `${shardName(index, shards)}.${what}`);
  return {
    acceptNow: (correlationId, cents) => bounded(stub.acceptNow(correlationId, cents), "acceptNow"),
    summaryCents: (fromMs, toMs) => bounded(stub.summaryCents(fromMs, toMs), "summaryCents"),
    purge: () => bounded(stub.purge(), "purge"),
    stats: () => bounded(stub.stats(), "stats"),
  };
}

function localLedger(env: Env): DurableObjectStub<PaymentLedger> {
  const namespace = env.LEDGER as DurableObjectNamespace<PaymentLedger>;
  return namespace.get(namespace.idFromName(LEDGER_NAME));
}

/**
 * The engine's front door for APIs in other processes: each method forwards
 * to the ledger. Results are awaited here and handed on as plain values: a
 * forwarded RPC result would need disposing by the far caller.
 */
export class LedgerGateway extends WorkerEntrypoint<Env> implements Rpc<Ledger> {
  async accept(payments: IncomingPayment[]) {
    const { results, purgedAt } = await localLedger(this.env).accept(payments);
    return { results: [...results], purgedAt };
  }
  async summary(fromMs: number, toMs: number) {
    const summary = await localLedger(this.env).summary(fromMs, toMs);
    return { default: { ...summary.default }, fallback: { ...summary.fallback } };
  }
  async purge() {
    await localLedger(this.env).purge();
  }
  async stats() {
    const stats = await localLedger(this.env).stats();
    return { ...stats, processors: { default: { ...stats.processors.default }, fallback: { ...stats.processors.fallback } } };
  }
}
