/**
 * Pieces of bench/scale-out.ts: Postwire processes started through the real CLI (`postwire serve`,
 * with or without `--workers`) on a fresh PostgreSQL database, a paying world set up through the
 * admin API, a receiver for its outbound postbacks, and an operator-like load generator that
 * retries every postback until acknowledged, on another process when one fails.
 */
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeSecret, signQuery } from "../src/domain/signing.ts";
import { freePort, type PostwireProcess, startPostwire } from "../test/helpers/postwire-process.ts";

export const ADMIN_KEY = `pw_${"benchscaleout".repeat(3)}`;

export { freePort, type PostwireProcess };

/** `postwire serve` on `port` for `databaseUrl`, ready; `workers` > 1 runs --workers. */
export function startServe(
  databaseUrl: string,
  port: number,
  extraEnv: Record<string, string> = {},
  workers = 1,
): Promise<PostwireProcess> {
  const env = {
    DATABASE_URL: databaseUrl,
    BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
    LOG_LEVEL: "warn",
    DELIVERY_ALLOW: "127.0.0.1",
    ...extraEnv,
  };
  return startPostwire(port, env, workers > 1 ? ["--workers", String(workers)] : []);
}

async function call(url: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status >= 300)
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

export interface World {
  readonly operatorKey: string;
  readonly secret: string;
  readonly clickId: string;
  readonly affiliateId: number;
}

/**
 * An operator, an iGaming EUR program, an affiliate, a link and a click; with `plan`, a CPA of
 * 100.00 per FTD; with `receiverUrl`, an outbound endpoint. What each FTD then costs is a
 * conversion and a player binding, plus a ledger entry with the plan and a delivery with the
 * endpoint.
 */
export async function setUpWorld(
  url: string,
  options: { readonly plan?: boolean; readonly receiverUrl?: string } = {},
): Promise<World> {
  const { plan = true, receiverUrl } = options;
  const operator = await call(url, "POST", "/v1/operators", { name: "bench" });
  const program = await call(url, "POST", "/v1/programs", {
    operator_id: operator["id"],
    name: "bench",
    vertical: "igaming",
    currency: "EUR",
    landing_url_template: "https://casino.example/?cid={click_id}",
  });
  if (plan)
    await call(url, "POST", `/v1/programs/${program["id"]}/plans`, {
      terms: {
        cpa: { amountMinor: 10_000, qualification: { kind: "ftd", minDepositMinor: 2000 }, clawbackDays: 30 },
        holdDays: 0,
      },
      effective_from: "2000-01-01T00:00:00Z",
    });
  const affiliate = await call(url, "POST", "/v1/affiliates", { name: "bench" });
  const link = await call(url, "POST", "/v1/links", {
    affiliate_id: affiliate["id"],
    program_id: program["id"],
  });
  if (receiverUrl)
    await call(url, "POST", "/v1/endpoints", {
      affiliate_id: affiliate["id"],
      url_template: `${receiverUrl}/pb?d={delivery_id}`,
    });
  const clicked = await fetch(`${url}/c/${link["code"]}`, { redirect: "manual" });
  const clickId = new URL(clicked.headers.get("location")!).searchParams.get("cid")!;
  return {
    operatorKey: String(operator["key"]),
    secret: String(operator["secret"]),
    clickId,
    affiliateId: Number(affiliate["id"]),
  };
}

export interface Receiver {
  readonly url: string;
  /** Delivery id → times it arrived (performance.now()). */
  readonly hits: Map<string, number[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const hits = new Map<string, number[]>();
  const server = createServer((req, res) => {
    const id = new URL(req.url ?? "/", "http://x").searchParams.get("d") ?? "";
    hits.set(id, [...(hits.get(id) ?? []), performance.now()]);
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One signed FTD (GET) with `txid`; resolves with the status (0: no answer). */
function postOnce(agent: Agent, url: string, world: World, key: Buffer, txid: string): Promise<number> {
  const pairs: Array<[string, string]> = [
    ["event", "ftd"],
    ["txid", txid],
    ["click_id", world.clickId],
    ["player_id", `p-${txid}`],
    ["amount", "25.00"],
    ["currency", "EUR"],
    ["ts", String(Math.floor(Date.now() / 1000))],
  ];
  pairs.push(["sig", signQuery(key, pairs)]);
  const target = `${url}/v1/postback/${world.operatorKey}?${new URLSearchParams(pairs)}`;
  return new Promise((resolve) => {
    const req = request(target, { agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", () => resolve(0));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
    req.end();
  });
}

export interface Load {
  /** Txids acknowledged (200), in order. */
  readonly acked: string[];
  /** Tries that got no 200 and were sent again (to the other process). */
  retries: number;
  stop(): Promise<void>;
}

/**
 * `connections` operators, each sending fresh txids one at a time, spread over `urls`; a try that
 * fails (no answer, 503…) is sent again, same txid, to the next URL after 20 ms, until a 200.
 */
export function startLoad(urls: readonly string[], world: World, connections: number, tag: string): Load {
  const secret = decodeSecret(world.secret);
  if (!secret.ok) throw new Error(secret.error.message);
  const agents = urls.map(() => new Agent({ keepAlive: true, maxSockets: connections }));
  let stopped = false;
  const load: Load = {
    acked: [],
    retries: 0,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      for (const agent of agents) agent.destroy();
    },
  };
  const loops = Array.from({ length: connections }, async (_, c) => {
    for (let i = 0; !stopped; i++) {
      const txid = `${tag}-${c}-${i}`;
      for (let u = (c + i) % urls.length; ; u = (u + 1) % urls.length) {
        if ((await postOnce(agents[u]!, urls[u]!, world, secret.value, txid)) === 200) break;
        load.retries++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      load.acked.push(txid);
    }
  });
  return load;
}
