// The bench's durable baseline (scripts/floor.mjs): the plainest service that
// keeps the durability promise, "no 202 before the payment survives a
// SIGKILL". It reads the body as JSON and commits it to a Durable Object's
// SQLite in the same process, through one RPC call; the output gate holds the
// 202 until the commit is done. No load balancer, no validation, no second
// instance, no dispatch. Beside the bare worker (bare.js) it prices what that
// promise costs a POST on this design, before anything else is done.
//
// GET /count answers the rows committed so far, so a test can check that
// what was acknowledged survives a SIGKILL. No bundling; durable-baseline.capnp
// embeds this file.
import { DurableObject } from "cloudflare:workers";

/** A full GC at most this often: workerd frees a finished request's native memory only then (durable-objects/native-memory.ts). */
const GC_EVERY_MS = 500;

export class Rows extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.lastGcAt = 0;
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS rows (body TEXT NOT NULL)");
    });
  }

  store(body) {
    this.ctx.storage.sql.exec("INSERT INTO rows (body) VALUES (?)", body);
    const now = Date.now();
    if (typeof globalThis.gc === "function" && now - this.lastGcAt >= GC_EVERY_MS) {
      this.lastGcAt = now;
      globalThis.gc();
    }
  }

  count() {
    return this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM rows").one().n;
  }
}

export default {
  async fetch(request, env) {
    const rows = env.ROWS.get(env.ROWS.idFromName("rows"));
    if (request.method === "GET") return Response.json({ rows: await rows.count() });
    let body;
    try {
      body = JSON.parse(await request.text());
    } catch {
      return new Response(null, { status: 400 });
    }
    await rows.store(JSON.stringify(body));
    return new Response(null, { status: 202 });
  },
};
