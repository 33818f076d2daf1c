/**
 * Every statement the service runs against its large tables is served by an index (issue:
 * performance at size): drives the store through what the service does (postbacks of every kind
 * with commissions and outbound postbacks, clicks, deliveries sent and finished, the hold job,
 * payouts, a manual adjustment, approvals forwarded, pruning, and every list and filter of the
 * admin API), records each distinct statement, and fails when one reads a large table without a
 * selective index. The database holds a crowd of rows sharing the fixture's operator, affiliate,
 * program, link, endpoint and month, so an index that matches only a prefix of a statement's
 * conditions (the operator alone, say) reads the crowd. SQLite: no step of EXPLAIN QUERY PLAN (no
 * statistics) scans a large table. PostgreSQL: no statement reads a large table without an index
 * (EXPLAIN with sequential scans disabled), and none that serves a request (postbacks, clicks,
 * deliveries, API reads; not the hold, payout, forwarding and pruning jobs, which read what they
 * settle) reads more than MAX_ROWS rows of one (EXPLAIN ANALYZE).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { createIds, systemClock } from "../../../src/adapters/clock-and-ids.ts";
import { readEventFile } from "../../../src/adapters/files/event-file.ts";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import type { SqlDriver } from "../../../src/adapters/storage/sql-driver.ts";
import { createSqlStore } from "../../../src/adapters/storage/sql-store.ts";
import { Catalog } from "../../../src/app/catalog.ts";
import { adjustConversion } from "../../../src/app/commissions/adjust-conversion.ts";
import { createCommissionEffect } from "../../../src/app/commissions/commission-effect.ts";
import { PlanCache } from "../../../src/app/commissions/plan-cache.ts";
import { EndpointCache } from "../../../src/app/delivery/endpoint-cache.ts";
import { createApprovalForwarder } from "../../../src/app/delivery/forward-approvals.ts";
import { createOutboundEffect } from "../../../src/app/delivery/outbound-effect.ts";
import type { PostbackIngestor } from "../../../src/app/ingest/ingest-postback.ts";
import type { Store } from "../../../src/app/ports.ts";
import { backfillMissing } from "../../../src/app/reconcile/backfill-missing.ts";
import { compareFile } from "../../../src/app/reconcile/compare-file.ts";
import { reconcileEvents } from "../../../src/app/reconcile/reconcile-events.ts";
import { issueClickId } from "../../../src/domain/click-id.ts";
import { periodOf } from "../../../src/domain/commissions/exact.ts";
import { PLAN_PRESETS } from "../../../src/domain/commissions/presets.ts";
import { availableEngines, createTestDatabase, type TestDatabase } from "../../helpers/engines.ts";
import { batchingFor, createIngestor, getRequest, OPEN_AUTH } from "../../helpers/ingest-harness.ts";
import { insertRawEntries } from "../../helpers/ledger-rows.ts";
import { fullScans, type Recording, recordingDriver } from "../../helpers/recording-driver.ts";
import { createFixture } from "../../helpers/service.ts";
import {
  endpointInput,
  startReceiver,
  testClock,
  testDispatcher,
  testSender,
} from "../delivery/delivery-kit.ts";

/**
 * Tables that grow with traffic: never read whole. (ledger_balances grows with affiliates, programs
 * and months, not traffic, and the unfiltered balances list is all of it.)
 */
const LARGE = new Set([
  "clicks",
  "conversions",
  "players",
  "request_log",
  "cpa_qualifications",
  "ledger_entries",
  "month_usage",
  "deliveries",
  "delivery_attempts",
  "commission_adjustments",
  "payouts",
  "postback_traces",
  "postback_rollup",
  "report_activity",
  "report_commissions",
  "delivery_rollup",
  "reconciliation_rows",
]);

const DAY = 86_400_000;
/** Rows of the crowd in each large table, and the most a statement may read of one (PostgreSQL). */
const CROWD = 3000;
const MAX_ROWS = 600;

/** Outbox rows written straight into the table: delivered ones, or pending ones due at `at`. */
async function insertDeliveries(
  db: SqlDriver,
  rows: ReadonlyArray<{
    id: string;
    endpointId: number;
    affiliateId: number;
    conversionId: string;
    state: "pending" | "delivered";
    at: number;
  }>,
): Promise<void> {
  await db.insertMany(
    "deliveries",
    [
      "id",
      "endpoint_id",
      "affiliate_id",
      "conversion_id",
      "status",
      "test",
      "payload",
      "state",
      "run_at",
    ].concat(["attempts", "created_at", "updated_at", "delivered_at"]),
    rows.map((r) => [
      r.id,
      r.endpointId,
      r.affiliateId,
      r.conversionId,
      "created",
      0,
      "{}",
      r.state,
      r.at,
      r.state === "delivered" ? 1 : 0,
      r.at,
      r.at,
      r.state === "delivered" ? r.at : null,
    ]),
  );
}

/** The crowd: rows of the fixture's operator, affiliate, program, link and endpoint (see above). */
async function seedCrowd(
  db: SqlDriver,
  f: { operatorId: number; affiliateId: number; programId: number; linkId: number; endpointId: number },
  now: number,
): Promise<void> {
  const n = Array.from({ length: CROWD }, (_, i) => i);
  const period = periodOf(now);
  await db.insertMany(
    "conversions",
    [
      "id",
      "operator_id",
      "txid",
      "content_hash",
      "event",
      "program_id",
      "affiliate_id",
      "link_id",
      "player_id",
      "amount_minor",
      "currency",
      "occurred_at",
      "received_at",
      "unattributed_reason",
      "test",
      "extra",
      "response",
    ],
    n.map((i) => [
      `cv-crowd-${i}`,
      f.operatorId,
      `crowd-${i}`,
      "h",
      "deposit",
      f.programId,
      f.affiliateId,
      f.linkId,
      `crowd-p${i}`,
      1000,
      "EUR",
      now - i * 1000,
      now - i * 1000,
      null,
      0,
      "{}",
      "{}",
    ]),
  );
  await db.insertMany(
    "players",
    ["operator_id", "player_id", "link_id", "affiliate_id", "program_id", "bound_at"],
    n.map((i) => [f.operatorId, `crowd-p${i}`, f.linkId, f.affiliateId, f.programId, now - i * 1000]),
  );
  // Accepted requests of the fixture's program, and rejections of another program: a program's
  // failures must not be found by program or outcome alone.
  const logs = (program: number, status: number, code: string, outcome: string) =>
    n.map((i) => [
      `rq-crowd-${outcome}-${i}`,
      now - i * 1000,
      f.operatorId,
      program,
      "GET",
      "/v1/postback/x",
      status,
      code,
      outcome,
      900,
      `crowd-${outcome}-${i}`,
      "{}",
    ]);
  await db.insertMany(
    "request_log",
    [
      "id",
      "received_at",
      "operator_id",
      "program_id",
      "method",
      "path",
      "status",
      "code",
      "outcome",
      "latency_us",
      "txid",
      "raw",
    ],
    [
      ...logs(f.programId, 200, "accepted", "accepted"),
      ...logs(f.programId + 1000, 401, "invalid_signature", "rejected"),
    ],
  );
  await db.insertMany(
    "clicks",
    ["click_id", "link_id", "affiliate_id", "program_id", "created_at"],
    n.map((i) => [`ck-crowd-${i}`, f.linkId, f.affiliateId, f.programId, now - i * 1000]),
  );
  await insertRawEntries(
    db,
    n.map((i) => ({
      id: `le-crowd-${i}`,
      conversionId: `cv-crowd-${i}`,
      ...f,
      status: "pending",
      amountMinor: 100,
      period,
      at: now,
      approveAt: now + 1000 * DAY,
    })),
  );
  await db.insertMany(
    "cpa_qualifications",
    [
      "program_id",
      "operator_id",
      "player_key",
      "affiliate_id",
      "conversion_id",
      "period",
      "paid",
      "qualified_at",
    ],
    n.map((i) => [f.programId, f.operatorId, `crowd-p${i}`, f.affiliateId, `cv-crowd-${i}`, period, 1, now]),
  );
  await insertDeliveries(
    db,
    n.map((i) => ({
      id: `dl-crowd-${i}`,
      endpointId: f.endpointId,
      affiliateId: f.affiliateId,
      conversionId: `cv-crowd-${i}`,
      state: "delivered",
      at: now - i * 1000,
    })),
  );
  await db.insertMany(
    "delivery_attempts",
    [
      "id",
      "delivery_id",
      "endpoint_id",
      "attempt",
      "started_at",
      "method",
      "url",
      "http_status",
      "latency_ms",
      "response_snippet",
    ],
    n.map((i) => [
      `at-crowd-${i}`,
      `dl-crowd-${i}`,
      f.endpointId,
      1,
      now - i * 1000,
      "GET",
      "http://x",
      200,
      1,
      "ok",
    ]),
  );
}

/** Everything the service does to its store, through the same code paths. */
/**
 * A reconciliation run (its reads of conversions and of its own rows), its listings and a backfill.
 * Comparing reads every conversion of the period by design: it runs as a job.
 */
async function reconcileAndBackfill(
  store: Store,
  ingestor: PostbackIngestor,
  operatorId: number,
  recording: Recording,
): Promise<void> {
  recording.by = "job";
  const clock = testClock(Date.now());
  const deps = { store, clock, ids: createIds() };
  const principal = { role: "admin", keyId: 1, operatorId: null, affiliateId: null } as const;
  const at = new Date().toISOString();
  const csv = `event,txid,amount,currency,occurred_at\r\nftd,f1,50.00,EUR,${at}\r\nftd,m1,5.00,EUR,${at}\r\n`;
  const run = await reconcileEvents(deps, principal, {
    operatorId,
    from: Date.now() - 400 * DAY,
    to: Date.now() + 400 * DAY,
    format: "csv",
    compare: compareFile(
      { reconciliations: store.reconciliations, clock },
      readEventFile(Readable.from([Buffer.from(csv)]), "csv", 1 << 20),
    ),
  });
  recording.by = "request";
  await store.reconciliations.get(run.id);
  await store.reconciliations.list({ limit: 10 });
  await store.reconciliations.list({ operatorId, limit: 10 });
  await store.reconciliations.list({ operatorId, limit: 10, before: { at: Date.now(), id: "rc" } });
  await store.reconciliations.rows(run.id, { limit: 10 });
  await store.reconciliations.rows(run.id, { category: "missing", afterSeq: 1, limit: 10 });
  const { backfillId } = await backfillMissing({ ...deps, ingestor }, principal, {
    id: run.id,
    txids: ["m1"],
  });
  await ingestor.drain();
  recording.by = "request";
  await store.reconciliations.backfills(run.id, 10);
  await store.reconciliations.getBackfill(backfillId);
  await store.reconciliations.backfillRows(backfillId, { afterSeq: 0, limit: 10 });
}

async function drive(store: Store, db: SqlDriver, recording: Recording): Promise<void> {
  const clock = testClock(Date.now());
  const ids = createIds();
  const f = await createFixture(store, { auth: OPEN_AUTH });
  await store.commissions.createPlan(
    {
      programId: f.program.id,
      affiliateId: null,
      effectiveFrom: 0,
      terms: { ...PLAN_PRESETS.igaming, cap: { cpaCount: 2 } },
      note: null,
    },
    clock.now(),
  );
  const receiver = await startReceiver();
  try {
    const endpoint = await store.deliveries.endpoints.create(
      endpointInput(f.affiliate.id, {
        urlTemplate: `${receiver.url}/pb?cid={click_id}&p={payout}`,
        statuses: ["created", "approved", "reversed", "rejected", "adjusted"],
      }),
      clock.now(),
      "Created disabled.",
    );
    const ids4 = { operatorId: f.operator.id, affiliateId: f.affiliate.id, programId: f.program.id };
    await seedCrowd(db, { ...ids4, linkId: f.link.id, endpointId: endpoint.id }, Date.now());
    // A dead endpoint's backlog, older than anything due: once it is disabled, claims never read it.
    const dead = await store.deliveries.endpoints.create(
      endpointInput(f.affiliate.id, { name: "dead", urlTemplate: "https://dead.example/pb" }),
      clock.now(),
    );
    await insertDeliveries(
      db,
      Array.from({ length: CROWD }, (_, i) => ({
        id: `dl-dead-${i}`,
        endpointId: dead.id,
        affiliateId: f.affiliate.id,
        conversionId: `cv-crowd-${i}`,
        state: "pending",
        at: clock.now() - DAY,
      })),
    );
    recording.by = "job";
    await store.deliveries.endpoints.disable(dead.id, "The endpoint answered 410 Gone.", clock.now());
    recording.by = "request";
    const secret = randomBytes(32);
    const click = () =>
      issueClickId(
        secret,
        { linkId: f.link.id, issuedAtSeconds: Math.floor(Date.now() / 1000) },
        randomBytes(6),
      );
    const ingestor = createIngestor(store, secret, batchingFor(store.engine), [
      createCommissionEffect({
        plans: new PlanCache(systemClock, 0),
        clock: systemClock,
        ids,
        clickSecrets: [secret],
      }),
      createOutboundEffect({ cache: new EndpointCache(systemClock), clock: systemClock, ids }),
    ]);
    const send = async (pairs: Record<string, string>) => ingestor.handle(getRequest(f.operator.key, pairs));
    const cid = click();
    await send({ event: "registration", txid: "r1", click_id: cid, player_id: "p1" });
    await send({ event: "ftd", txid: "f1", player_id: "p1", amount: "50.00", currency: "EUR" });
    await send({ event: "ftd", txid: "f1", player_id: "p1", amount: "50.00", currency: "EUR" }); // duplicate
    await send({ event: "ftd", txid: "f1", player_id: "p1", amount: "60.00", currency: "EUR" }); // conflict
    await send({ event: "deposit", txid: "d1", player_id: "p1", amount: "30.00", currency: "EUR" });
    await send({ event: "revenue", txid: "v1", player_id: "p1", amount: "80.00", currency: "EUR" });
    await send({ event: "revenue", txid: "v2", player_id: "p1", amount: "-20.00", currency: "EUR" });
    await send({ event: "refund", txid: "x1", reverses: "v1", amount: "40.00", currency: "EUR" });
    await send({ event: "chargeback", txid: "x2", reverses: "f1" });
    for (let i = 0; i < 4; i++)
      await send({
        event: "ftd",
        txid: `g${i}`,
        click_id: click(),
        player_id: `q${i}`,
        amount: "30.00",
        currency: "EUR",
      });
    await send({ event: "ftd", txid: "u1", click_id: "not-a-click", amount: "30.00", currency: "EUR" });
    await send({
      event: "ftd",
      txid: "t1",
      click_id: click(),
      player_id: "pt",
      amount: "30.00",
      currency: "EUR",
      test: "1",
    });
    await send({ event: "ftd", txid: "bad" }); // rejected
    await ingestor.drain();

    await store.insertClicks([
      {
        clickId: cid,
        linkId: f.link.id,
        affiliateId: f.affiliate.id,
        programId: f.program.id,
        createdAt: clock.now(),
        subs: ["a", null, null, null, null],
        ip: null,
        userAgent: "ua",
        referer: null,
      },
    ]);
    await store.links.getByCode(f.link.code);

    const dispatcher = testDispatcher(store, clock, testSender());
    await dispatcher.tick();
    await dispatcher.stop();

    const mine = await store.listConversions({ affiliateId: f.affiliate.id, limit: 50 });
    const conversion = mine.find((c) => c.txid === "d1");
    const catalog = new Catalog(store, systemClock);
    const admin = { store, catalog, clock, ids, publicUrl: "http://localhost" };
    const principal = { role: "admin", keyId: 1, operatorId: null, affiliateId: null } as const;
    const ftd = (await store.listConversions({ affiliateId: f.affiliate.id, limit: 50 })).find(
      (c) => c.txid === "g0",
    );
    await adjustConversion(admin, principal, ftd!.id, { action: "reject", reasonCode: "fraud" });
    await adjustConversion(admin, principal, conversion!.id, {
      action: "adjust",
      reasonCode: "other",
      amountMinor: 500,
    });

    clock.advance(40 * DAY);
    recording.by = "job";
    await store.commissions.approveDue(clock.now());
    await createApprovalForwarder({ store: store.deliveries, clock, ids }).tick();
    const period = periodOf(Date.now());
    await store.commissions.markPaid(period, f.affiliate.id, clock.now(), () => ids.next("po"));
    recording.by = "request";
    const [payout] = await store.commissions.listPayouts({ affiliateId: f.affiliate.id, limit: 10 });
    await store.commissions.listPayouts({ programId: f.program.id, limit: 10 });
    await store.commissions.findPayout(payout?.id ?? "none", { programId: f.program.id });

    // Every list and filter of the admin API.
    const since = Date.now() - DAY;
    const until = Date.now() + DAY;
    for (const filter of [
      {},
      { operatorId: f.operator.id },
      { code: "accepted" },
      { txid: "f1" },
      { operatorId: f.operator.id, code: "invalid_request" },
      { operatorId: f.operator.id, txid: "f1" },
      { since, until },
      { operatorId: f.operator.id, since, until },
      // The console's explorer and a program's failure list (migration 011).
      { programId: f.program.id },
      { outcome: "rejected" as const },
      { status: 401 },
      { programId: f.program.id, outcome: "rejected" as const },
      { programId: f.program.id, outcome: "unattributed" as const, since, until },
      { operatorId: f.operator.id, outcome: "duplicate" as const },
      { operatorId: f.operator.id, status: 400 },
    ])
      await store.searchRequestLog({ ...filter, limit: 50 });
    for (const filter of [
      {},
      { operatorId: f.operator.id },
      { affiliateId: f.affiliate.id },
      { programId: f.program.id },
      { attributed: false },
      { attributed: true },
      { operatorId: f.operator.id, attributed: false },
      { operatorId: f.operator.id, since, until },
      { event: "ftd" },
      { test: true },
      { operatorId: f.operator.id, test: true },
      { programId: f.program.id, event: "ftd" },
      { operatorId: f.operator.id, occurredSince: since, occurredUntil: until },
      { programId: f.program.id, test: false },
    ])
      await store.listConversions({ ...filter, limit: 50 });
    // Step traces and the go-live checklist (issue 16).
    const [traced] = await store.traces.ofOperator(f.operator.id, since, 50);
    assert.ok(traced, "the test postback was traced");
    await store.traces.get(traced.requestLogId);
    await store.traces.requestLogEntry(traced.requestLogId);
    await store.traces.checklistResetAt(f.program.id);
    await store.getConversion(conversion!.id);
    // The conversion timeline and the console's search (by txid, player id and click id).
    await store.timeline.byTxid(f.operator.id, conversion!.txid);
    await store.timeline.byTxidAtAnyOperator(conversion!.txid, 200);
    await store.timeline.playerEventsAtAnyOperator(conversion!.playerId ?? "p-1", 200);
    await store.timeline.playerEvents(f.operator.id, conversion!.playerId ?? "p-1", 200);
    await store.timeline.reversalsOf(conversion!.id, f.operator.id);
    await store.timeline.clickConversions(conversion!.clickId ?? "no-such-click", 200);
    await store.timeline.click(conversion!.clickId ?? "no-such-click");
    await store.operators.activity([f.operator.id]);
    for (const filter of [
      {},
      { operatorId: f.operator.id },
      { affiliateId: f.affiliate.id },
      { linkId: f.link.id },
      { linkId: f.link.id, since, until },
    ])
      await store.listClicks({ ...filter, limit: 50 });
    for (const filter of [
      {},
      { affiliateId: f.affiliate.id },
      { programId: f.program.id },
      { period },
      { affiliateId: f.affiliate.id, period },
      { conversionId: conversion!.id },
      { status: "approved" as const },
      { affiliateId: f.affiliate.id, after: "le" },
    ])
      await store.commissions.listEntries({ ...filter, limit: 50 });
    for (const filter of [{}, { affiliateId: f.affiliate.id }, { programId: f.program.id, period }])
      await store.commissions.balances(filter);
    for (const scope of [{}, { affiliateId: f.affiliate.id }])
      await store.commissions.balancesByPeriod({ ...scope, periods: [period, "2020-01"] });
    await store.commissions.listAdjustments(conversion!.id);
    for (const filter of [
      {},
      { affiliateId: f.affiliate.id },
      { endpointId: endpoint.id },
      { conversionId: conversion!.id },
      { state: "dead" as const },
      { endpointId: endpoint.id, since, until },
      { test: true },
      { affiliateId: f.affiliate.id, test: true },
      { endpointId: endpoint.id, test: true },
      { endpointId: endpoint.id, test: false },
    ])
      await store.deliveries.list({ ...filter, limit: 50 });
    // A program's failure list (the console).
    for (const kind of ["dead", "failing"] as const)
      await store.deliveries.listOfProgram({ programId: f.program.id, kind, limit: 50 });
    for (const filter of [
      {},
      { affiliateId: f.affiliate.id },
      { endpointId: endpoint.id },
      { endpointId: endpoint.id, failed: true },
      { since, until },
    ])
      await store.deliveries.attempts({ ...filter, limit: 50 });
    await store.deliveries.dueBacklog(clock.now());
    await store.deliveries.replayRange({ endpointId: endpoint.id, since, until }, clock.now());
    // Stats and reports (src/adapters/storage/stats-store.ts): each reads one index range of a rollup.
    const hours = { from: since, to: until };
    for (const scope of [{}, { programId: f.program.id }, { operatorId: f.operator.id }])
      for (const byHour of [false, true]) await store.stats.postbackCounts({ ...hours, ...scope, byHour });
    for (const scope of [
      {},
      { affiliateId: f.affiliate.id },
      { programIds: [f.program.id] },
      { affiliateId: f.affiliate.id, programIds: [f.program.id] },
    ]) {
      const periods = [
        { start: since, end: since + DAY, label: "a" },
        { start: since + DAY, end: until, label: "b" },
      ];
      await store.stats.reportActivity({ ...hours, ...scope, periods });
      await store.stats.reportCommissions({ ...hours, ...scope, periods });
    }
    await store.stats.deliveryCounts(since);
    await reconcileAndBackfill(store, ingestor, f.operator.id, recording);
    recording.by = "job";
    await store.stats.foldActivity();
    await store.prune({ requestLog: since - DAY, clicks: since - DAY });
    await store.deliveries.prune(since - DAY);
    await store.deliveries.releaseAll();
  } finally {
    await receiver.close();
  }
}

for (const engine of await availableEngines()) {
  describe(`query plans (${engine})`, () => {
    let database: TestDatabase;
    let driver: SqlDriver;
    const recording: Recording = { seen: new Map(), by: "request" };
    before(async () => {
      database = await createTestDatabase(engine);
      driver = openDriver(database.url);
      const store = createSqlStore(recordingDriver(driver, recording));
      await store.migrate();
      await drive(store, driver, recording);
      // With statistics, as autovacuum keeps them: without any, PostgreSQL takes every table for a
      // few rows and sorts a bitmap scan's matches where an ordered index walk stops at the LIMIT.
      if (engine === "postgres") await driver.run("ANALYZE");
    });
    after(async () => {
      await driver.close();
      await database.drop();
    });

    test("every statement on a large table is served by a selective index", async () => {
      const reads = [...recording.seen.values()].filter((s) =>
        // INSERT … SELECT reads too (reconciliation extras).
        /^\s*(WITH|SELECT|UPDATE|DELETE)\b|^\s*INSERT INTO [^(]*\([^)]*\)\s*SELECT\b/i.test(s.sql),
      );
      assert.ok(reads.length > 60, `the drive ran the service's statements (${reads.length})`);
      // The listings built with Kysely (sql-dialect.ts: quoted names) are among them.
      for (const table of [
        "request_log",
        "conversions",
        "clicks",
        "deliveries",
        "delivery_attempts",
        "ledger_entries",
        "payouts",
        "links",
      ])
        assert.ok(
          reads.some((s) => s.sql.includes(`from "${table}"`)),
          `a built listing of ${table} ran`,
        );
      const problems: string[] = [];
      for (const statement of reads) {
        const limit = statement.by === "request" ? MAX_ROWS : Number.POSITIVE_INFINITY;
        for (const scan of await fullScans(driver, statement, limit))
          if (LARGE.has(scan.table))
            problems.push(
              `${scan.table} read ${scan.rows === undefined ? "whole" : `${scan.rows} rows`} by:\n  ${statement.sql.replace(/\s+/g, " ")}\n  plan: ${scan.plan}`,
            );
      }
      assert.deepEqual(problems, []);
    });
  });
}
