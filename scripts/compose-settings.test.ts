// The engine's settings (README, "Configuration") reach it the same way under
// `docker compose up` and `npm start`: compose hands over the host's value,
// and an unset one leaves the engine's own default.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readCompose } from "./compose.mjs";
import { serviceEnvironment } from "./stack.mjs";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const engine = readCompose(path.join(ROOT, "compose.yaml")).services.engine;
/** Every variable the engine's workerd config binds from its environment. */
const read = [...readFileSync(path.join(ROOT, "workerd/engine.capnp"), "utf8").matchAll(/fromEnvironment = "(\w+)"/g)].map((m) => m[1]!);

describe("the engine's settings through compose", () => {
  it("lists every variable the engine reads", () => {
    expect(read).toContain("MAX_IN_FLIGHT");
    expect(Object.keys(engine.environment).sort()).toEqual([...read].sort());
  });

  it("takes the host's value, and leaves an unset one unset", () => {
    const env = serviceEnvironment(engine.environment, { MAX_IN_FLIGHT: "100" });
    expect(env.MAX_IN_FLIGHT).toBe("100");
    expect(env).not.toHaveProperty("PARK_MS");
  });
});
