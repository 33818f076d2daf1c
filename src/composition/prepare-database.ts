/**
 * What a starting service needs of its database before it serves: migrations, the secrets it
 * generates on first start, the bootstrap admin key.
 */
import { createApiKey } from "../app/access/api-keys.ts";
import type { Clock, Ids, Store } from "../app/ports.ts";
import type { Config } from "../config.ts";
import { PostwireError } from "../domain/errors.ts";
import { decodeSecret, encodeSecret } from "../domain/signing.ts";

/** Secrets the service generates on first start and keeps in the database (zero set-up). */
async function serviceSecrets(store: Store, config: Config, ids: Ids) {
  const clickSecret =
    config.clickIdSecret ?? (await store.ensureSetting("click_id_secret", encodeSecret(ids.random(32))));
  const decoded = decodeSecret(clickSecret);
  if (!decoded.ok) throw new Error(`CLICK_ID_SECRET is not valid base64: ${decoded.error.message}`);
  const ipSalt = Buffer.from(
    await store.ensureSetting("ip_hash_salt", ids.random(32).toString("base64")),
    "base64",
  );
  return { clickSecret: decoded.value, ipSalt };
}

/**
 * Migrates the database and makes what the service keeps in it (generated secrets, the bootstrap
 * admin key). Several processes may run it at once: migrations are serialised, the first value of
 * each setting and the first bootstrap key win.
 */
export async function prepareStore(store: Store, config: Config, clock: Clock, ids: Ids) {
  await store.migrate();
  const secrets = await serviceSecrets(store, config, ids);
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
