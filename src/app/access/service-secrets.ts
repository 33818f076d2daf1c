/**
 * Secrets the service generates on first start and keeps in the database (zero set-up): the key
 * that signs click ids (unless CLICK_ID_SECRET gives one) and the salt of hashed IP addresses.
 * Every process on the database reads the same ones: the first value written wins.
 */
import { decodeSecret, encodeSecret } from "../../domain/signing.ts";
import type { Ids, Store } from "../ports.ts";

export async function serviceSecrets(
  store: Store,
  ids: Ids,
  /** CLICK_ID_SECRET, when configured (base64). */
  configuredClickSecret: string | undefined,
): Promise<{ clickSecret: Buffer; ipSalt: Buffer }> {
  const clickSecret =
    configuredClickSecret ?? (await store.ensureSetting("click_id_secret", encodeSecret(ids.random(32))));
  const decoded = decodeSecret(clickSecret);
  if (!decoded.ok) throw new Error(`CLICK_ID_SECRET is not valid base64: ${decoded.error.message}`);
  const ipSalt = Buffer.from(
    await store.ensureSetting("ip_hash_salt", ids.random(32).toString("base64")),
    "base64",
  );
  return { clickSecret: decoded.value, ipSalt };
}
