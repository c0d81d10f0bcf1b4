// A shard killed mid-dispatch recovers by itself: what was on the wire is
// settled with the processor it went to, never sent blindly to the other,
// and the other shards carry on.
import { abortAllDurableObjects } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { shardOf } from "../../lib/shard.ts";
import { fakeProcessors } from "../workers/fake-processors.ts";

const call = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`http://api${path}`, init));
const pay = (correlationId: string, amount: number) =>
  call("/payments", { method: "POST", body: JSON.stringify({ correlationId, amount }), headers: { "content-type": "application/json" } });
const summary = async () => (await call("/payments-summary")).json();
const shards = Number(env.LEDGER_SHARDS);

it("settles, once and on the processor it went to, the payment a shard had on the wire when it died", async () => {
  const fakes = fakeProcessors();
  fakes.default.mode = "hang";
  const onTheWire = crypto.randomUUID();
  expect((await pay(onTheWire, 2.5)).status).toBe(202);
  await expect.poll(() => fakes.default.postsFor(onTheWire).length).toBe(1);

  await abortAllDurableObjects(); // like a SIGKILL of every object: no chance to finish anything
  // Meanwhile the processor finished the request it had, and then began to fail.
  const sent = fakes.default.postsFor(onTheWire)[0]!;
  fakes.default.stored.set(onTheWire, { amount: sent.amount, requestedAt: sent.requestedAt });
  fakes.default.mode = "fail";

  // A payment for another shard: it is paid meanwhile (by fallback) whatever the dead shard does.
  let other = crypto.randomUUID();
  while (shardOf(other, shards) === shardOf(onTheWire, shards)) other = crypto.randomUUID();
  expect((await pay(other, 1)).status).toBe(202);

  // Nothing else touches the dead shard but the summary's read, which wakes it.
  await expect
    .poll(() => summary(), { timeout: 10_000 })
    .toEqual({ default: { totalRequests: 1, totalAmount: 2.5 }, fallback: { totalRequests: 1, totalAmount: 1 } });
  expect(fakes.fallback.postsFor(onTheWire)).toHaveLength(0);
  expect(fakes.default.postsFor(onTheWire)).toHaveLength(1);
});
