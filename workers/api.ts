// The API worker: validates requests, stores each payment in this instance's
// PaymentOutbox (which forwards it to the ledger), and reads the summary from
// the PaymentLedger. Its only state is that outbox, on its own disk, so any
// number of copies can run behind the load balancer. With a sharded ledger
// (workers/mode.ts) it stores each payment straight in its shard instead,
// and reads, purges and inspects every shard (workers/sharded.ts).
import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { bearerMatches } from "../lib/admin-auth.ts";
import { readBody } from "./body.ts";
import { isInvalid, parsePayment, parseWindow } from "./validate.ts";
import { ledger } from "./ledger.ts";
import { type Mode, readMode } from "./mode.ts";
import { outbox } from "./outbox.ts";
import { purgeAll, statsOfAll, storeInShard, summaryOfAll } from "./sharded.ts";

export { PaymentLedger } from "../durable-objects/payment-ledger.ts";
export { PaymentOutbox } from "../durable-objects/payment-outbox.ts";
export { ProcessorHealth } from "../durable-objects/processor-health.ts";
export { LedgerGateway } from "./ledger.ts";

/** A payment is ~90 bytes of JSON; anything near this is not one. */
const MAX_BODY_BYTES = 4 * 1024;
const JSON_TYPE = /^application\/json\s*(;|$)/i;

export const app = new Hono<{ Bindings: Env }>();

app.get("/health", (c) => c.json({ status: "ok" }));

/**
 * The hot path: one POST per payment, so it does only what it must. The
 * checks are inline rather than Hono middleware, and a new payment gets an
 * empty 202: each layer of middleware and each JSON answer costs workerd CPU
 * on every payment (bench/post-layers measures what each layer adds).
 */
app.post("/payments", async (c) => {
  const request = c.req.raw;
  const type = request.headers.get("content-type");
  if (type !== null && !JSON_TYPE.test(type)) {
    return c.json({ error: "content-type must be application/json" }, 415);
  }
  const text = await readBody(request, MAX_BODY_BYTES);
  if (text === null) return c.json({ error: `body larger than ${MAX_BODY_BYTES} bytes` }, 413);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return c.json({ error: "body is not valid JSON" }, 400);
  }
  const payment = parsePayment(body);
  if (isInvalid(payment)) return c.json(payment, 422);
  const { correlationId, cents } = payment;
  const mode = readMode(c.env);
  const result = mode.outbox
    ? await reach("outbox", () => outbox(c.env).accept(correlationId, cents))
    : await reach("ledger", () => storeInShard(c.env, mode.shards, correlationId, cents));
  switch (result) {
    case "accepted":
      return new Response(null, { status: 202 });
    case "duplicate":
      // The client retried a payment we already hold: same answer class, nothing new queued.
      return c.json({ status: "already accepted" }, 200);
    case "conflict":
      return c.json({ error: "correlationId already used for another amount" }, 409);
  }
});

app.get("/payments-summary", async (c) => {
  const window = parseWindow(c.req.query("from"), c.req.query("to"));
  if (isInvalid(window)) return c.json(window, 400);
  const { fromMs, toMs } = window;
  const mode = readMode(c.env);
  if (!mode.outbox) return c.json(await reach("ledger", () => summaryOfAll(c.env, mode.shards, fromMs, toMs)));
  return c.json(await reach("ledger", () => ledger(c.env).summary(fromMs, toMs)));
});

app.post("/purge-payments", async (c) => {
  const mode = readMode(c.env);
  const refused = await refuseUnlessAdmin(c, mode);
  if (refused) return refused;
  if (!mode.outbox) {
    await reach("ledger", () => purgeAll(c.env, mode.shards));
    return c.json({ status: "purged" });
  }
  // The ledger first: from then on it drops anything accepted before, from any outbox.
  await reach("ledger", () => ledger(c.env).purge());
  await reach("outbox", () => outbox(c.env).purge());
  return c.json({ status: "purged" });
});

app.get("/internal/stats", async (c) => {
  const mode = readMode(c.env);
  const refused = await refuseUnlessAdmin(c, mode);
  if (refused) return refused;
  if (!mode.outbox) return c.json(await reach("ledger", () => statsOfAll(c.env, mode.shards)));
  const stats = await reach("ledger", () => ledger(c.env).stats());
  const pending = await reach("outbox", () => outbox(c.env).pending());
  return c.json({ ...stats, outboxPending: pending });
});

/**
 * In the cloud nobody may erase the books or read internals without the
 * secret (`wrangler secret put ADMIN_SECRET --env cloud`): answers the 401
 * to send, or null to go on. The local topology keeps the contract's open
 * purge. Unset, the secret lets nobody in.
 */
async function refuseUnlessAdmin(c: Context<{ Bindings: Env }>, mode: Mode): Promise<Response | null> {
  if (!mode.guarded) return null;
  const secret = (c.env as Env & { ADMIN_SECRET?: string }).ADMIN_SECRET;
  if (await bearerMatches(c.req.header("authorization"), secret)) return null;
  return c.json({ error: "this call needs the admin secret: Authorization: Bearer <ADMIN_SECRET>" }, 401, { "www-authenticate": "Bearer" });
}

/**
 * Calls a Durable Object; when it cannot be reached (the engine restarting,
 * say) the client gets a 503 it may retry, and nothing was accepted.
 */
async function reach<T>(what: "ledger" | "outbox", call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    console.error(`${what} unreachable: ${error instanceof Error ? error.message : String(error)}`);
    throw new HTTPException(503, { message: `${what} unavailable; try again` });
  }
}

/** The methods each path answers, read from the routes above, so a known path asked with another method gets 405. */
const ALLOWED = new Map<string, string[]>();
for (const { path, method } of app.routes) {
  const methods = ALLOWED.get(path) ?? [];
  if (!methods.includes(method)) methods.push(method);
  ALLOWED.set(path, methods);
}

app.notFound((c) => {
  const allowed = ALLOWED.get(c.req.path);
  if (allowed) return c.json({ error: `method not allowed; use ${allowed.join(", ")}` }, 405, { allow: allowed.join(", ") });
  return c.json({ error: "not found" }, 404);
});

app.onError((error, c) => {
  if (error instanceof HTTPException) return c.json({ error: error.message }, error.status);
  // The details go to the log, never to the client.
  console.error("request failed", c.req.method, c.req.path, error);
  return c.json({ error: "internal error" }, 500);
});

export default app;
