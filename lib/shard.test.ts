import { describe, expect, it } from "vitest";
import { MAX_SHARDS, SINGLE_LEDGER_NAME, shardCount, shardName, shardNames, shardOf } from "./shard.ts";

const uuid = (i: number) => `${i.toString(16).padStart(8, "0")}-7d26-4d9d-aa19-4dc1c7cf60b3`;

describe("shardCount", () => {
  it.each([
    [undefined, 1],
    [null, 1],
    ["", 1],
    ["1", 1],
    ["4", 4],
    [String(MAX_SHARDS), MAX_SHARDS],
  ])("reads %j as %i", (value, count) => {
    expect(shardCount(value)).toBe(count);
  });

  it.each(["0", "-2", "2.5", "four", String(MAX_SHARDS + 1)])("refuses %j", (value) => {
    expect(() => shardCount(value)).toThrow(/LEDGER_SHARDS/);
  });
});

describe("shardOf", () => {
  it("puts everything on shard 0 when there is one ledger", () => {
    expect(shardOf(uuid(7), 1)).toBe(0);
  });

  it("is the same for an id in any case", () => {
    const id = "4A7901B8-7D26-4D9D-AA19-4DC1C7CF60B3";
    expect(shardOf(id, 4)).toBe(shardOf(id.toLowerCase(), 4));
  });

  it("is fixed: the same id lands on the same shard every time", () => {
    // Pinned values: a change to the hash would move existing payments to other books.
    expect([0, 1, 2, 3].map((i) => shardOf(uuid(i), 4))).toEqual([3, 0, 1, 2]);
  });

  it("spreads random UUIDs evenly over 4 shards", () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 8_000; i++) counts[shardOf(crypto.randomUUID(), 4)]! += 1;
    // 2,000 expected each; 6 standard deviations is ±~230.
    for (const n of counts) expect(Math.abs(n - 2_000)).toBeLessThan(250);
  });

  it("answers an index inside [0, shards)", () => {
    for (let i = 0; i < 1_000; i++) {
      const shard = shardOf(crypto.randomUUID(), 7);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(7);
    }
  });
});

describe("shardName", () => {
  it("keeps the single ledger's old name", () => {
    expect(shardName(0, 1)).toBe(SINGLE_LEDGER_NAME);
    expect(shardNames(1)).toEqual(["ledger"]);
  });

  it("names shards by index when there are several", () => {
    expect(shardNames(4)).toEqual(["ledger-0", "ledger-1", "ledger-2", "ledger-3"]);
  });
});
