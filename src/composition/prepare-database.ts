/**
 * What a starting service needs of its database before it serves: migrations, the secrets it
 * generates on first start, the bootstrap admin key.
 */
import { createApiKey } from "../app/access/api-keys.ts";
import { serviceSecrets } from "../app/access/service-secrets.ts";
import type { Clock, Ids, Store } from "../app/ports.ts";
import type { Config } from "../config.ts";
import { PostwireError } from "../domain/errors.ts";

/**
 * Migrates the database and makes what the service keeps in it (generated secrets, the bootstrap
 * admin key). Several processes may run it at once: migrations are serialised, the first value of
 * each setting and the first bootstrap key win.
 */
export async function prepareStore(store: Store, config: Config, clock: Clock, ids: Ids) {
  await store.migrate();
  const secrets = await serviceSecrets(store, ids, config.clickIdSecret);
  if (config.bootstrapAdminKey && (await store.apiKeys.count()) === 0) {
    try {
      const created = await createApiKey(store, clock, ids, {
        name: "bootstrap admin",
        role: "admin",
        key: config.bootstrapAdminKey,
      });
      if (!created.ok) throw new Error(created.error.message);
    } catch (error) {
      // Another process starting at the same moment created it first.
      if (!(error instanceof PostwireError && error.code === "conflict")) throw error;
    }
  }
  return secrets;
}
