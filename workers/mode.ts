// Which topology this worker runs in, read from its configuration alone.
//
// local (the default, `npm start`, `npm run dev`): one ledger named "ledger",
//   and a POST is stored in the API instance's own outbox first. On one
//   machine each API process has its own outbox on its own disk.
// sharded (LEDGER_SHARDS > 1, or DEPLOYMENT = "cloud"): the ledger is split
//   into shards and a POST is stored straight in its payment's shard. On
//   Cloudflare an outbox "per instance" would be one object for the planet
//   (every isolate resolves the same name to the same object), and a
//   Durable Object's storage is the durable write anyway; so the shard is.
// cloud (DEPLOYMENT = "cloud", wrangler's `--env cloud`): sharded, and
//   purging the books or reading internals needs ADMIN_SECRET.
import { shardCount } from "../lib/shard.ts";

export type Mode = {
  /** Ledger shards: 1 is the single ledger of the local topology. */
  shards: number;
  /** Whether a POST goes through this instance's outbox (only the local topology). */
  outbox: boolean;
  /** Whether purge and stats need the admin secret. */
  guarded: boolean;
};

export function readMode(env: Env): Mode {
  const vars = env as unknown as Record<string, string | null | undefined>;
  const shards = shardCount(vars.LEDGER_SHARDS);
  const cloud = vars.DEPLOYMENT === "cloud";
  return { shards, outbox: shards === 1 && !cloud, guarded: cloud };
}
