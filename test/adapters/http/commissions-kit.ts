/**
 * Helpers for the commission HTTP tests: a real service whose clock a test can move forward (hold
 * periods), worlds of any vertical created through the API, signed postbacks at the service's time,
 * and ledger reads.
 */
import assert from "node:assert/strict";
import { createIds } from "../../../src/adapters/system.ts";
import { createApiKey } from "../../../src/app/api-keys.ts";
import type { Store } from "../../../src/app/ports.ts";
import type { Engine } from "../../helpers/engines.ts";
import {
  type Call,
  client,
  expectStatus,
  postback,
  type Reply,
  signedQuery,
  txid,
  type World,
} from "./admin-kit.ts";
import { startKitService } from "./postback-kit.ts";

export const DAY = 86_400_000;

export interface Bench {
  readonly url: string;
  readonly store: Store;
  readonly admin: Call;
  /** Moves the service's clock forward. */
  advance(ms: number): void;
  now(): number;
  /** An API key of another role. */
  key(role: "affiliate" | "operator", owner: { affiliateId?: number; operatorId?: number }): Promise<string>;
  close(): Promise<void>;
}

export async function startBench(engine: Engine): Promise<Bench> {
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const kit = await startKitService(engine, { clock });
  const ids = createIds();
  const key = async (
    role: "admin" | "affiliate" | "operator",
    owner: { affiliateId?: number; operatorId?: number } = {},
  ) => {
    const created = await createApiKey(kit.store, clock, ids, {
      name: `test ${role}`,
      role,
      operatorId: owner.operatorId ?? null,
      affiliateId: owner.affiliateId ?? null,
    });
    if (!created.ok) throw new Error(created.error.message);
    return created.value.secret;
  };
  return {
    url: kit.url,
    store: kit.store,
    admin: client(kit.url, await key("admin")),
    advance: (ms) => {
      offset += ms;
    },
    now: clock.now,
    key,
    close: () => kit.close(),
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
  const operator = await b.admin("POST", "/v1/operators", { name });
  expectStatus(operator, 201);
  const program = await b.admin("POST", "/v1/programs", {
    operator_id: operator.body.id,
    name,
    vertical,
    currency,
    landing_url_template: "https://brand.example/welcome?cid={click_id}",
    ...settings,
  });
  expectStatus(program, 201);
  const affiliate = await b.admin("POST", "/v1/affiliates", { name: `${name} partner` });
  expectStatus(affiliate, 201);
  const link = await b.admin("POST", "/v1/links", {
    affiliate_id: affiliate.body.id,
    program_id: program.body.id,
  });
  expectStatus(link, 201);
  return {
    operator: operator.body,
    secret: operator.body.secret,
    program: program.body,
    affiliate: affiliate.body,
    link: link.body,
  };
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
export async function clickOf(b: Bench, world: World): Promise<string> {
  const response = await fetch(`${b.url}/c/${world.link.code}`, { redirect: "manual" });
  assert.equal(response.status, 302);
  return new URL(response.headers.get("location")!).searchParams.get("cid")!;
}

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
  return reply.body.items;
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
    reply.body.items[0] ?? {
      currency: "",
      pending_minor: 0,
      approved_minor: 0,
      paid_minor: 0,
      reversed_minor: 0,
    }
  );
}

export { txid };
