/**
 * Helpers for the fault tests: a real Postwire service whose PostgreSQL is reached through the
 * tests' own TCP proxy, a paying world (CPA plan, outbound endpoint to a receiver on 127.0.0.1),
 * and the checks every fault test ends with, read straight from the database: each txid stored
 * exactly once, one set of ledger entries per conversion, every delivery sent at least once.
 */
import assert from "node:assert/strict";
import pg from "pg";
import { createIds, systemClock } from "../../src/adapters/clock-and-ids.ts";
import { createApiKey } from "../../src/app/access/api-keys.ts";
import { type Service, startService } from "../../src/composition/start-service.ts";
import { loadConfig } from "../../src/config.ts";
import { type Receiver, startReceiver } from "../adapters/delivery/delivery-kit.ts";
import {
  type Call,
  click,
  client,
  cpaTerms,
  expectStatus,
  signedQuery,
  type World,
  worldVia,
} from "../adapters/http/admin-kit.ts";
import { eventually } from "../helpers/eventually.ts";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";

export interface FaultService {
  readonly service: Service;
  readonly url: string;
  readonly proxy: FaultProxy;
  readonly admin: Call;
  /** A pool on the real database (not through the proxy), for the checks. */
  readonly direct: pg.Pool;
  readonly receiver: Receiver;
  close(): Promise<void>;
}

/** Settings that keep a fault test short: deadlines of a fraction of a second, a busy dispatcher. */
export const FAST_FAULTS: Record<string, string> = {
  PG_QUERY_TIMEOUT_MS: "500",
  PG_POOL_SIZE: "4",
  DISPATCH_INTERVAL_MS: "50",
  DELIVERY_ALLOW: "127.0.0.1",
  DELIVERY_TIMEOUT_MS: "2000",
  // A claim whose outcome could not be recorded (the database went away) is sent again soon.
  DELIVERY_LEASE_MS: "3000",
};

/** Starts Postwire on `databaseUrl` (PostgreSQL, reached through a fault proxy) with an admin key. */
export async function startFaultService(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<FaultService> {
  const real = new URL(databaseUrl);
  const proxy = await startFaultProxy({ host: real.hostname, port: Number(real.port || 5432) });
  const config = loadConfig({
    DATABASE_URL: proxy.url(databaseUrl),
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "silent",
    ...FAST_FAULTS,
    ...env,
  });
  const service = await startService(config);
  const key = await createApiKey(service.store, systemClock, createIds(), { name: "faults", role: "admin" });
  if (!key.ok) throw new Error(key.error.message);
  const direct = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // The checks' own connections die with a restarted server too; the next check opens new ones.
  direct.on("error", () => undefined);
  const receiver = await startReceiver();
  return {
    service,
    url: service.url,
    proxy,
    admin: client(service.url, key.value.secret),
    direct,
    receiver,
    async close() {
      proxy.stall(false);
      proxy.refuse(false);
      await service.stop().catch(() => undefined);
      await receiver.close();
      await direct.end();
      await proxy.close();
    },
  };
}

/** A world and a click on its link: FTDs carrying it (one player each) earn a CPA each. */
export interface PayingWorld extends World {
  readonly clickId: string;
}

/** An operator with a CPA plan (100.00 per FTD), an affiliate, a link, a click and an outbound endpoint. */
export async function payingWorld(f: Pick<FaultService, "admin" | "url" | "receiver">): Promise<PayingWorld> {
  const name = `faults-${Math.random().toString(36).slice(2, 8)}`;
  const world = await worldVia(f.admin, name, {
    name,
    vertical: "igaming",
    currency: "EUR",
    landing_url_template: "https://casino.example/?cid={click_id}",
  });
  const plan = { terms: cpaTerms(10_000), effective_from: "2000-01-01T00:00:00Z" };
  expectStatus(await f.admin("POST", `/v1/programs/${world.program.id}/plans`, plan), 201);
  const endpoint = await f.admin("POST", "/v1/endpoints", {
    affiliate_id: world.affiliate.id,
    url_template: `${f.receiver.url}/pb?d={delivery_id}&c={conversion_id}`,
  });
  expectStatus(endpoint, 201);
  return { ...world, clickId: await click(f, world) };
}

export interface PostbackReply {
  readonly status: number;
  readonly code: string | undefined;
  readonly retryAfter: string | null;
  readonly replayed: string | null;
}

/** A signed FTD of 50.00 with `txid` (GET) on the world's click, for a player of its own. */
export async function sendFtd(url: string, world: PayingWorld, txid: string): Promise<PostbackReply> {
  const query = signedQuery(world.secret, [
    ["event", "ftd"],
    ["txid", txid],
    ["click_id", world.clickId],
    ["player_id", `p-${txid}`],
    ["amount", "50.00"],
    ["currency", "EUR"],
  ]);
  const response = await fetch(`${url}/v1/postback/${world.operator.key}?${query}`);
  const body = (await response.json().catch(() => ({}))) as { code?: string };
  return {
    status: response.status,
    code: body.code,
    retryAfter: response.headers.get("retry-after"),
    replayed: response.headers.get("idempotent-replayed"),
  };
}

/** A 200 (committed) or a 503 storage_unavailable with Retry-After: never a 4xx, never another 5xx. */
export function assertCommittedOrUnavailable(reply: PostbackReply, what: string): void {
  if (reply.status === 200) return;
  assert.equal(reply.status, 503, `${what}: ${JSON.stringify(reply)}`);
  assert.equal(reply.code, "storage_unavailable", what);
  assert.ok(Number(reply.retryAfter) > 0, `${what}: Retry-After`);
}

/** Sends `txid` until it is answered 200 (the operator's retries); returns the last answer. */
export async function retryUntilStored(
  url: string,
  world: PayingWorld,
  txid: string,
): Promise<PostbackReply> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const reply = await sendFtd(url, world, txid);
    assertCommittedOrUnavailable(reply, txid);
    if (reply.status === 200) return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${txid} was never stored`);
}

/**
 * Every txid is one conversion with one ledger entry (the CPA), and has as many deliveries as
 * `deliveriesEach`; once the dispatcher has caught up, each delivery is delivered and the receiver
 * got its id at least once, and nothing it got is unknown.
 */
export async function assertExactlyOnce(
  f: Pick<FaultService, "direct" | "receiver">,
  world: World,
  txids: readonly string[],
  deliveriesEach = 1,
): Promise<void> {
  const conversions = await f.direct.query<{ id: string; txid: string }>(
    "SELECT id, txid FROM conversions WHERE operator_id = $1 AND txid = ANY($2::text[])",
    [world.operator.id, txids],
  );
  assert.equal(conversions.rows.length, txids.length, "one conversion per txid");
  assert.equal(new Set(conversions.rows.map((r) => r.txid)).size, txids.length);
  const ids = conversions.rows.map((r) => r.id);
  const ledger = await f.direct.query<{ conversion_id: string; n: string }>(
    "SELECT conversion_id, COUNT(*) AS n FROM ledger_entries WHERE conversion_id = ANY($1::text[]) GROUP BY conversion_id",
    [ids],
  );
  assert.equal(ledger.rows.length, ids.length, "every conversion has its ledger entry");
  for (const row of ledger.rows) assert.equal(Number(row.n), 1, `one ledger entry for ${row.conversion_id}`);
  const deliveryRows = async () =>
    (
      await f.direct.query<{ id: string; conversion_id: string; state: string }>(
        "SELECT id, conversion_id, state FROM deliveries WHERE conversion_id = ANY($1::text[])",
        [ids],
      )
    ).rows;
  assert.equal((await deliveryRows()).length, ids.length * deliveriesEach, "one set of deliveries each");
  await eventually(async () => (await deliveryRows()).every((row) => row.state === "delivered"), {
    timeoutMs: 20_000,
    what: "every delivery delivered",
  });
  const sent = new Set(f.receiver.hits.map((hit) => new URL(hit.url, "http://x").searchParams.get("d")));
  for (const row of await deliveryRows())
    assert.ok(sent.has(row.id), `delivery ${row.id} reached the receiver`);
}

/**
 * Applies a fault (`apply` returns how to heal it), runs `check` while it lasts, heals it; then
 * /readyz must say ready again, and `txid`, retried until stored, must be there exactly once.
 */
export async function underFault(
  f: FaultService,
  world: PayingWorld,
  txid: string,
  apply: () => () => void,
  check: () => Promise<void>,
): Promise<void> {
  const heal = apply();
  try {
    await check();
  } finally {
    heal();
  }
  await eventually(async () => (await fetch(`${f.url}/readyz`)).status === 200, { what: "ready again" });
  await retryUntilStored(f.url, world, txid);
  await assertExactlyOnce(f, world, [txid]);
}
