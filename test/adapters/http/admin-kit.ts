/**
 * Helpers for the admin API tests: JSON calls with an API key over the real listener, a signed
 * postback sent the way an operator would, and resources created through the API itself.
 */
import assert from "node:assert/strict";
import { decodeSecret, signQuery } from "../../../src/domain/signing.ts";
import type { Engine } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";

export interface Reply {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  readonly body: any;
  readonly text: string;
}

export type Call = (method: string, path: string, body?: unknown) => Promise<Reply>;

/** A JSON client for `url` authenticated with `key` (none when undefined). */
export function client(url: string, key: string | undefined): Call {
  return async (method, path, body) => {
    const headers: Record<string, string> = {};
    if (key !== undefined) headers["authorization"] = `Bearer ${key}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: the assertion on `body` fails and shows `text`.
    }
    return { status: response.status, body: parsed, text };
  };
}

/** Asserts a status (and for errors the code and field), showing the body when it differs. */
export function expectStatus(reply: Reply, status: number, code?: string, field?: string): void {
  assert.equal(reply.status, status, reply.text);
  if (code !== undefined) assert.equal(reply.body?.code, code, reply.text);
  if (field !== undefined) assert.equal(reply.body?.field, field, reply.text);
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A GET postback query signed with `secret` ('whsec_…'): `ts` added, `sig` over the canonical query. */
export function signedQuery(secret: string, params: Array<[string, string]>, ts = nowSeconds()): string {
  const decoded = decodeSecret(secret);
  if (!decoded.ok) throw new Error(decoded.error.message);
  const pairs: Array<[string, string]> = [...params, ["ts", String(ts)]];
  return new URLSearchParams([...pairs, ["sig", signQuery(decoded.value, pairs)]]).toString();
}

let txCounter = 0;
/** A fresh txid. */
export const txid = (): string => `tx-${process.pid}-${Date.now()}-${++txCounter}`;

/** Sends a GET postback for `operatorKey`; returns status and JSON answer. */
export async function postback(url: string, operatorKey: string, query: string): Promise<Reply> {
  return client(url, undefined)("GET", `/v1/postback/${operatorKey}?${query}`);
}

export interface World {
  readonly operator: { id: number; key: string };
  /** The operator's generated HMAC secret. */
  readonly secret: string;
  readonly program: { id: number };
  readonly affiliate: { id: number };
  readonly link: { id: number; code: string };
}

/**
 * An operator named `name` (with its generated secret), a program of `program`'s fields, an
 * affiliate and a link, via the API.
 */
export async function worldVia(admin: Call, name: string, program: Record<string, unknown>): Promise<World> {
  const operator = await admin("POST", "/v1/operators", { name });
  expectStatus(operator, 201);
  const created = await admin("POST", "/v1/programs", { operator_id: operator.body.id, ...program });
  expectStatus(created, 201);
  const affiliate = await admin("POST", "/v1/affiliates", { name: `${name} partner` });
  expectStatus(affiliate, 201);
  const link = await admin("POST", "/v1/links", {
    affiliate_id: affiliate.body.id,
    program_id: created.body.id,
  });
  expectStatus(link, 201);
  return {
    operator: operator.body,
    secret: operator.body.secret,
    program: created.body,
    affiliate: affiliate.body,
    link: link.body,
  };
}

/** An operator (with its generated secret), an iGaming program, an affiliate and a link, via the API. */
export function createWorld(t: TestService, name = "Acme"): Promise<World> {
  return worldVia(client(t.url, t.adminKey), name, {
    name: `${name} Casino`,
    vertical: "igaming",
    currency: "EUR",
    landing_url_template: "https://casino.example/welcome?cid={click_id}&s1={sub1}",
  });
}

/** Follows the world's tracking link and returns the click_id the landing URL received. */
export async function click(t: { readonly url: string }, world: World): Promise<string> {
  const response = await fetch(`${t.url}/c/${world.link.code}`, { redirect: "manual" });
  assert.equal(response.status, 302);
  return new URL(response.headers.get("location")!).searchParams.get("cid")!;
}

/** A signed, attributed ftd for the world; returns the conversion id. */
export async function convert(t: TestService, world: World, clickId: string): Promise<string> {
  const query = signedQuery(world.secret, [
    ["event", "ftd"],
    ["txid", txid()],
    ["click_id", clickId],
    ["amount", "50.00"],
    ["currency", "EUR"],
  ]);
  const answer = await postback(t.url, world.operator.key, query);
  expectStatus(answer, 200, "accepted");
  return answer.body.conversion_id;
}

/** A payout as the admin API answers it. */
export interface PayoutWire {
  id: string;
  affiliate_id: number;
  period: string;
  amount_minor: number;
  currency: string;
  entries: number;
  created_at: string;
}

/** A CPA plan paying `amountMinor` on an FTD of at least 20.00, with no hold. */
export const cpaTerms = (amountMinor: number) => ({
  cpa: { amountMinor, qualification: { kind: "ftd", minDepositMinor: 2000 }, clawbackDays: 30 },
  holdDays: 0,
});

/** Two worlds, "Alpha" paying 100.00 and "Beta" 70.00 per FTD, each with its plan in force. */
export async function payingWorlds(t: TestService, admin: Call): Promise<{ a: World; b: World }> {
  const a = await createWorld(t, "Alpha");
  const b = await createWorld(t, "Beta");
  for (const [world, amount] of [
    [a, 10000],
    [b, 7000],
  ] as const) {
    const plan = { terms: cpaTerms(amount), effective_from: "2000-01-01T00:00:00Z" };
    expectStatus(await admin("POST", `/v1/programs/${world.program.id}/plans`, plan), 201);
  }
  return { a, b };
}

/** A test service on `engine` with an admin client and one world created through the API. */
export async function startAdminWorld(
  engine: Engine,
  env: Record<string, string> = {},
): Promise<{ t: TestService; admin: Call; world: World }> {
  const t = await startTestService(engine, env);
  return { t, admin: client(t.url, t.adminKey), world: await createWorld(t) };
}
