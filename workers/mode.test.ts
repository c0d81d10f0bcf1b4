import { describe, expect, it } from "vitest";
import { readMode } from "./mode.ts";

const mode = (vars: Record<string, string | null>) => readMode(vars as unknown as Env);

describe("readMode", () => {
  it("is the local topology when nothing says otherwise", () => {
    expect(mode({})).toEqual({ shards: 1, outbox: true, guarded: false });
    expect(mode({ LEDGER_SHARDS: null, DEPLOYMENT: null })).toEqual({ shards: 1, outbox: true, guarded: false });
    expect(mode({ LEDGER_SHARDS: "1", DEPLOYMENT: "local" })).toEqual({ shards: 1, outbox: true, guarded: false });
  });

  it("writes straight to the shards when the ledger is sharded, still open locally", () => {
    expect(mode({ LEDGER_SHARDS: "4" })).toEqual({ shards: 4, outbox: false, guarded: false });
  });

  it("guards purge and stats in the cloud, and uses no outbox there even with one shard", () => {
    expect(mode({ LEDGER_SHARDS: "4", DEPLOYMENT: "cloud" })).toEqual({ shards: 4, outbox: false, guarded: true });
    expect(mode({ DEPLOYMENT: "cloud" })).toEqual({ shards: 1, outbox: false, guarded: true });
  });

  it("refuses a shard count that is not one", () => {
    expect(() => mode({ LEDGER_SHARDS: "zero" })).toThrow(/LEDGER_SHARDS/);
  });
});
