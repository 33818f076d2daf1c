/**
 * Helpers for the commission HTTP tests: a real service whose clock a test can move forward (hold
 * periods), worlds of any vertical created through the API, signed postbacks at the service's time,
 * and ledger reads.
 */
import type { Store } from "../../../src/app/ports.ts";
import type { Engine } from "../../helpers/engines.ts";
import { startTestService } from "../../helpers/service.ts";
import {
  type Call,
  click,
  client,
  expectStatus,
  postback,
  type Reply,
  signedQuery,
  txid,
  type World,
  worldVia,
} from "./admin-kit.ts";

export const DAY = 86_400_000;

/** The iGaming CPA most tests pay: 100.00 on a first deposit of at least 20.00, 30 days of clawback. */
export const CPA = {
  amountMinor: 10000,
  qualification: { kind: "ftd", minDepositMinor: 2000 },
  clawbackDays: 30,
};

export interface Bench {
  readonly url: string;
  /** The service's DATABASE_URL. */
  readonly databaseUrl: string;
  readonly store: Store;
  readonly admin: Call;
  /** Moves the service's clock forward. */
  advance(ms: number): void;
  now(): number;
  /** An API key of another role. */
  key(
    role: "admin" | "affiliate" | "operator",
    owner?: { affiliateId?: number; operatorId?: number },
  ): Promise<string>;
  close(): Promise<void>;
}

export async function startBench(engine: Engine, env: Record<string, string> = {}): Promise<Bench> {
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const t = await startTestService(engine, env, clock);
  return {
    url: t.url,
    databaseUrl: t.databaseUrl,
    store: t.store,
    admin: client(t.url, t.adminKey),
    advance: (ms) => {
      offset += ms;
    },
    now: clock.now,
    key: t.key,
    close: () => t.close(),
  };
}

export type Vertical = "igaming" | "forex" | "prop";

/** An operator, a program of `vertical` in `currency`, an affiliate and its link, via the API. */
export async function worldOf(
  b: Bench,
  vertical: Vertical,
  currency = "EUR",
  settings: Record<string, unknown> = {},
): Promise<World> {
  const name = `${vertical}-${Math.random().toString(36).slice(2, 8)}`;
  return worldVia(b.admin, name, {
    name,
    vertical,
    currency,
    landing_url_template: "https://brand.example/welcome?cid={click_id}",
    ...settings,
  });
}

/** Adds a plan version (or a deal with `affiliate_id`). */
export async function addPlan(b: Bench, world: World, terms: unknown, extra: Record<string, unknown> = {}) {
  const reply = await b.admin("POST", `/v1/programs/${world.program.id}/plans`, {
    terms,
    effective_from: "2000-01-01T00:00:00Z",
    ...extra,
  });
  expectStatus(reply, 201);
  return reply.body;
}

/** A click on the world's link (issued at the service's time). */
export const clickOf = click;

export type Pairs = Array<[string, string]>;

/** A postback signed at the service's time; asserts `accepted` and returns the conversion id. */
export async function send(b: Bench, world: World, pairs: Pairs, expected = "accepted"): Promise<string> {
  const reply = await sendRaw(b, world, pairs);
  expectStatus(reply, 200, expected);
  return reply.body.conversion_id;
}

export function sendRaw(b: Bench, world: World, pairs: Pairs): Promise<Reply> {
  const query = signedQuery(world.secret, pairs, Math.floor(b.now() / 1000));
  return postback(b.url, world.operator.key, query);
}

/** `[event, txid, player…]` pairs with a fresh txid. */
export function ev(event: string, fields: Record<string, string> = {}): Pairs {
  return [
    ["event", event],
    ["txid", fields["txid"] ?? txid()],
    ...Object.entries(fields).filter(([k]) => k !== "txid"),
  ];
}

export interface EntryWire {
  id: string;
  conversion_id: string;
  affiliate_id: number;
  kind: string;
  component: string;
  status: string;
  amount_minor: number;
  reason: string | null;
  fx_rate: string | null;
  reverses_entry_id: string | null;
  explanation: string;
  explain: Record<string, unknown>;
  payout_id: string | null;
}

export async function entries(b: Bench, query: string): Promise<EntryWire[]> {
  const reply = await b.admin("GET", `/v1/commissions?${query}&limit=10000`);
  expectStatus(reply, 200);
  return reply.body.data;
}

/** The amounts, largest first by absolute value (entry ids of one conversion are not ordered). */
export const amounts = (list: readonly EntryWire[]): number[] =>
  list.map((e) => e.amount_minor).sort((a, b) => Math.abs(b) - Math.abs(a));
export const sum = (list: readonly EntryWire[]): number => list.reduce((s, e) => s + e.amount_minor, 0);

export interface BalanceWire {
  currency: string;
  pending_minor: number;
  approved_minor: number;
  paid_minor: number;
  reversed_minor: number;
}

export async function balance(b: Bench, affiliateId: number): Promise<BalanceWire> {
  const reply = await b.admin("GET", `/v1/commissions/balances?affiliate_id=${affiliateId}`);
  expectStatus(reply, 200);
  return (
    reply.body.data[0] ?? {
      currency: "",
      pending_minor: 0,
      approved_minor: 0,
      paid_minor: 0,
      reversed_minor: 0,
    }
  );
}

export { txid };
