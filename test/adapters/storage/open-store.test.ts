/** DATABASE_URL picks the engine: `sqlite:<path>` or `postgres://…`; anything else is refused. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import { openStore } from "../../../src/adapters/storage/open-store.ts";
import { availableEngines, createTestDatabase } from "../../helpers/engines.ts";

for (const engine of await availableEngines()) {
  test(`a ${engine} URL opens the ${engine} driver and store`, async () => {
    const database = await createTestDatabase(engine);
    const driver = openDriver(database.url);
    const store = openStore(database.url);
    try {
      assert.equal(driver.engine, engine);
      assert.equal(store.engine, engine);
    } finally {
      await driver.close();
      await store.close();
      await database.drop();
    }
  });
}

test("any other URL is refused, naming what it got", () => {
  for (const url of ["mysql://root@127.0.0.1/test", "./data/postwire.db", ""]) {
    assert.throws(() => openDriver(url), {
      message: `DATABASE_URL must start with sqlite: or postgres://, got "${url}"`,
    });
    assert.throws(() => openStore(url), /DATABASE_URL must start with sqlite: or postgres:\/\//);
  }
});
