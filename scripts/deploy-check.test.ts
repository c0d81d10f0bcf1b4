import { describe, expect, it } from "vitest";
import { problems } from "./deploy-check.mjs";

const GOOD = `
env.LEDGER (PaymentLedger)                 Durable Object
env.DEPLOYMENT ("cloud")                   Environment Variable
env.LEDGER_SHARDS ("4")                    Environment Variable
`;

describe("deploy:check's reading of a dry run", () => {
  it("passes a sharded, guarded cloud mode", () => {
    expect(problems(GOOD)).toEqual([]);
  });

  it("fails a cloud mode that is not guarded, not sharded, or carries its secret in the config", () => {
    expect(problems(GOOD.replace('"cloud"', '"local"'))).toHaveLength(1);
    expect(problems(GOOD.replace('("4")', '("1")'))).toHaveLength(1);
    expect(problems(`${GOOD}env.ADMIN_SECRET ("hunter2")  Environment Variable\n`)).toHaveLength(1);
    expect(problems("")).toHaveLength(3);
  });
});
