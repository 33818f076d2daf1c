/**
 * Forwarding a manual adjustment (src/app/delivery/forward-adjustment.ts) over an in-memory outbox:
 * which endpoints fire (statuses, events, programs), what the message says (delta, total, reason,
 * click id and sub-ids, the decision's time), its outbox key, and that other messages keep an
 * empty `total_payout`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Adjustment, OpenEntry } from "../../../src/app/commissions/commission-store-port.ts";
import type { LedgerEntry } from "../../../src/app/commissions/ledger-port.ts";
import { forwardAdjustment } from "../../../src/app/delivery/forward-adjustment.ts";
import { messageValues } from "../../../src/app/delivery/outbound-message.ts";
import type { Endpoint, NewDelivery, OutboxTx } from "../../../src/app/delivery/outbox-port.ts";
import type { ClickRow, ConversionRow } from "../../../src/app/records.ts";

const NOW = Date.UTC(2026, 2, 1, 12);
const DECIDED = Date.UTC(2026, 2, 1, 11, 30);

const conversion = (overrides: Partial<ConversionRow> = {}): ConversionRow => ({
  id: "cv_1",
  operatorId: 1,
  txid: "tx-1",
  contentHash: "h",
  event: "ftd",
  programId: 5,
  affiliateId: 9,
  linkId: 1,
  clickId: "ck_1",
  playerId: "p1",
  amountMinor: 5000,
  currency: "EUR",
  lotsMilli: null,
  reversesId: null,
  occurredAt: Date.UTC(2026, 1, 1),
  receivedAt: Date.UTC(2026, 1, 1),
  unattributedReason: null,
  test: false,
  subId: null,
  extra: {},
  response: "{}",
  ...overrides,
});

let nextEndpoint = 1;
const endpoint = (overrides: Partial<Endpoint> = {}): Endpoint => ({
  id: nextEndpoint++,
  affiliateId: 9,
  name: "e",
  urlTemplate: "https://tracker.example/pb?st={status}",
  method: "GET",
  events: [],
  programIds: [],
  statuses: ["rejected", "adjusted"],
  delaySeconds: 0,
  includeTest: false,
  secret: "whsec_AAAA",
  previousSecret: null,
  previousSecretExpiresAt: null,
  status: "active",
  disabledReason: null,
  disabledAt: null,
  consecutiveFailures: 0,
  failingSince: null,
  createdAt: 0,
  updatedAt: 0,
  ...overrides,
});

const click: ClickRow = {
  clickId: "ck_1",
  linkId: 1,
  affiliateId: 9,
  programId: 5,
  createdAt: 0,
  subs: ["s1", null, null, null, "s5"],
  ip: null,
  userAgent: null,
  referer: null,
};

/** An outbox over fixed endpoints, clicks and conversions, recording what is enqueued and read. */
function memoryOutbox(endpoints: Endpoint[], conversions: ConversionRow[] = []) {
  const enqueued: NewDelivery[] = [];
  const reads: string[] = [];
  const outbox: OutboxTx = {
    endpointsOf: async (ids) => {
      reads.push("endpoints");
      return endpoints.filter((e) => ids.includes(e.affiliateId) && e.status === "active");
    },
    clicks: async (ids) => {
      reads.push("clicks");
      return new Map(ids.includes(click.clickId) ? [[click.clickId, click]] : []);
    },
    conversions: async (ids) => new Map(conversions.filter((c) => ids.includes(c.id)).map((c) => [c.id, c])),
    enqueue: async (rows) => {
      enqueued.push(...rows);
    },
  };
  return { outbox, enqueued, reads };
}

const adjustment = (overrides: Partial<Adjustment> = {}): Adjustment => ({
  id: "adj_1",
  conversionId: "cv_1",
  action: "adjust",
  reasonCode: "goodwill",
  note: "secret note",
  amountMinor: 2550,
  currency: "EUR",
  entries: 1,
  createdByKeyId: 1,
  createdAt: DECIDED,
  ...overrides,
});

const line = (affiliateId: number, amountMinor: number, compensatedMinor = 0) =>
  ({ affiliateId, amountMinor, compensatedMinor, status: "approved" }) as unknown as OpenEntry;

const deps = () => {
  let n = 0;
  return {
    clock: { now: () => NOW },
    ids: { next: (p: string) => `${p}_${++n}`, random: () => Buffer.alloc(0) },
  };
};

describe("forwardAdjustment", () => {
  test("an adjustment by amount: one `adjusted` message per subscribed endpoint, with its figures", async () => {
    const fires = endpoint({ delaySeconds: 30 });
    const { outbox, enqueued } = memoryOutbox([
      fires,
      endpoint({ statuses: ["created", "reversed"] }),
      endpoint({ statuses: ["adjusted"], events: ["registration"] }),
      endpoint({ statuses: ["adjusted"], programIds: [6] }),
      endpoint({ statuses: ["adjusted"], status: "disabled" }),
      endpoint({ affiliateId: 10 }),
    ]);
    const written = {
      adjustment: adjustment(),
      entries: [line(9, 2550)] as LedgerEntry[],
      before: [line(9, 10000)],
    };
    await forwardAdjustment(deps(), conversion())(outbox, written);
    assert.equal(enqueued.length, 1);
    const [m] = enqueued;
    assert.deepEqual(
      [m!.endpointId, m!.conversionId, m!.status, m!.adjustmentId, m!.runAt, m!.test],
      [fires.id, "cv_1", "adjusted", "adj_1", NOW + 30_000, false],
    );
    assert.deepEqual(m!.payload, {
      click_id: "ck_1",
      sub1: "s1",
      sub2: "",
      sub3: "",
      sub4: "",
      sub5: "s5",
      event: "ftd",
      payout: "25.50",
      currency: "EUR",
      conversion_id: "cv_1",
      program_id: "5",
      occurred_at: new Date(DECIDED).toISOString(),
      status: "adjusted",
      reason: "goodwill",
      total_payout: "125.50",
    });
    assert.ok(!JSON.stringify(m!.payload).includes("secret note"), "the manager's note stays internal");
  });

  test("a reject: `rejected`, the affiliate's own delta (not its parent's), total 0", async () => {
    const { outbox, enqueued } = memoryOutbox([endpoint({ statuses: ["rejected"] })]);
    const written = {
      adjustment: adjustment({ action: "reject", reasonCode: "fraud", amountMinor: -11000, entries: 2 }),
      entries: [line(9, -7500), line(2, -1000)] as LedgerEntry[],
      before: [line(9, 10000, -2500), line(2, 1000)],
    };
    await forwardAdjustment(deps(), conversion())(outbox, written);
    assert.deepEqual(
      enqueued.map((m) => [m.status, m.payload["payout"], m.payload["total_payout"], m.payload["reason"]]),
      [["rejected", "-75.00", "0.00", "fraud"]],
    );
  });

  test("an adjusted refund is told about as its original (click, event, conversion id)", async () => {
    const original = conversion({ id: "cv_orig", event: "ftd", clickId: "ck_1" });
    const refund = conversion({ id: "cv_ref", event: "refund", reversesId: "cv_orig", clickId: null });
    const { outbox, enqueued } = memoryOutbox([endpoint({ events: ["ftd"] })], [original]);
    const written = {
      adjustment: adjustment({ conversionId: "cv_ref" }),
      entries: [line(9, 100)] as LedgerEntry[],
      before: [],
    };
    await forwardAdjustment(deps(), refund)(outbox, written);
    assert.equal(enqueued.length, 1);
    const p = enqueued[0]!.payload;
    assert.deepEqual(
      [p["click_id"], p["event"], p["conversion_id"], p["sub1"]],
      ["ck_1", "ftd", "cv_orig", "s1"],
    );
    assert.equal(enqueued[0]!.conversionId, "cv_ref");
  });

  test("no subscribed endpoint: nothing written, no click read", async () => {
    const { outbox, enqueued, reads } = memoryOutbox([endpoint({ statuses: ["created"] })]);
    const written = { adjustment: adjustment(), entries: [line(9, 1)] as LedgerEntry[], before: [] };
    await forwardAdjustment(deps(), conversion())(outbox, written);
    assert.deepEqual([enqueued.length, reads], [0, ["endpoints"]]);
  });

  test("other messages carry an empty total_payout and their own reason", () => {
    const values = messageValues(
      { conversion: conversion(), original: undefined, click, payouts: [], status: "created" },
      9,
    );
    assert.deepEqual([values["total_payout"], values["reason"], values["payout"]], ["", "", "0.00"]);
  });
});
