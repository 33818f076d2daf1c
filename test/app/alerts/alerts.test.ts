/**
 * Alerts end to end on a real database (both engines) with a controlled clock, and notifications
 * to a real receiver on 127.0.0.1 through the outbound sender: silence learned from the operator's
 * own weeks (a quiet night does not fire, a dead integration at its busy hour does, then
 * resolves), a rejection-rate jump, a failing endpoint; no duplicate notifications; a webhook
 * that fails and then recovers gets every notification, signed.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createIds } from "../../../src/adapters/clock-and-ids.ts";
import {
  createOutcomeHistory,
  DEFAULT_ALERT_SETTINGS,
  type EvaluateDeps,
  evaluateAlerts,
} from "../../../src/app/alerts/evaluate-alerts.ts";
import { type NotifyDeps, notifyDue } from "../../../src/app/alerts/notify-alerts.ts";
import type { Store } from "../../../src/app/ports.ts";
import type { RequestLogRow } from "../../../src/app/records.ts";
import {
  assertSignedWith,
  endpointInput,
  type Receiver,
  startReceiver,
  steadySchedule,
  testSender,
} from "../../adapters/delivery/delivery-kit.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { requestLogRow } from "../../helpers/records.ts";
import { createFixture, type Fixture } from "../../helpers/service.ts";

const H = 3_600_000;
const MIN = 60_000;
/** Monday 2026-11-30 00:00 UTC: four full weeks of history end here. */
const MONDAY = Date.UTC(2026, 10, 30);

for (const engine of await availableEngines()) {
  describe(`alerts (${engine})`, () => {
    let store: Store & { url: string };
    let f: Fixture;
    let receiver: Receiver;
    let now = MONDAY;
    const clock = { now: () => now };
    const ids = createIds();
    const sender = testSender();
    let evaluate: EvaluateDeps;
    let notify: NotifyDeps;
    let secret: string;

    const log = (operatorId: number, at: number, code = "accepted", status = 200): RequestLogRow =>
      requestLogRow({ operatorId, receivedAt: at, code, status });

    before(async () => {
      store = await createTestStore(engine);
      f = await createFixture(store);
      // Four weeks of a day-time operator: 12 postbacks an hour from 09:00 to 21:00 UTC, none at night.
      const history: RequestLogRow[] = [];
      for (let hour = MONDAY - 28 * 24 * H; hour < MONDAY; hour += H) {
        const h = new Date(hour).getUTCHours();
        if (h >= 9 && h < 21)
          for (let i = 0; i < 12; i++) history.push(log(f.operator.id, hour + i * 5 * MIN));
      }
      for (let i = 0; i < history.length; i += 500) await store.insertRequestLogs(history.slice(i, i + 500));
      receiver = await startReceiver([{ status: 503 }, { status: 500 }, { status: 200 }]);
      const hook = await store.alerts.webhooks.create(
        {
          name: "ops",
          url: `${receiver.url}/alerts`,
          format: "json",
          secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
          status: "active",
        },
        now,
      );
      secret = hook.secret;
      // A disabled webhook is sent nothing: every notification list below would show it otherwise.
      await store.alerts.webhooks.create(
        {
          name: "off",
          url: `${receiver.url}/off`,
          format: "slack",
          secret: "whsec_unused",
          status: "disabled",
        },
        now,
      );
      const settings = { ...DEFAULT_ALERT_SETTINGS, silenceMinMs: 30 * MIN };
      evaluate = {
        alerts: store.alerts,
        facts: store.alertFacts,
        history: createOutcomeHistory(store.alertFacts, settings),
        clock,
        ids,
        settings,
      };
      notify = {
        alerts: store.alerts,
        sender,
        clock,
        schedule: steadySchedule,
        sendOptions: { connectTimeoutMs: 2000, responseTimeoutMs: 5000, deadlineMs: 5000 },
        publicUrl: "https://pw.example",
        leaseMs: 60_000,
      };
    });
    after(async () => {
      sender.close();
      await receiver.close();
      await store.close();
    });

    const firing = async () => (await store.alerts.firing()).map((a) => `${a.rule}:${a.subjectId}`).sort();
    /** Sends what is due, moving the clock past each retry, until nothing is pending. */
    const drain = async () => {
      for (let round = 0; round < 10; round++) {
        await notifyDue(notify);
        now += 10 * MIN;
      }
    };

    test("a quiet night is not an alert", async () => {
      now = MONDAY + 1 * H;
      await store.insertRequestLogs([log(f.operator.id, MONDAY + 1 * H)]);
      now = MONDAY + 6 * H;
      assert.deepEqual(await evaluateAlerts(evaluate), { opened: 0, resolved: 0 });
      assert.deepEqual(await firing(), []);
    });

    test("a dead integration at its busy hour fires once, notifies once (through failures), then resolves", async () => {
      const last = MONDAY + 10 * H;
      await store.insertRequestLogs([log(f.operator.id, last)]);
      now = last + 20 * MIN;
      assert.deepEqual(
        await evaluateAlerts(evaluate),
        { opened: 0, resolved: 0 },
        "20 min at 12/h: 4 expected",
      );
      now = last + 40 * MIN;
      assert.deepEqual(await evaluateAlerts(evaluate), { opened: 1, resolved: 0 }, "40 min: 8 expected");
      assert.deepEqual(await firing(), [`operator_silent:${f.operator.id}`]);
      now = last + 45 * MIN;
      assert.deepEqual(
        await evaluateAlerts(evaluate),
        { opened: 0, resolved: 0 },
        "still firing: not opened again",
      );
      const [alert] = await store.alerts.firing();
      assert.equal(alert!.since, last);
      assert.equal(alert!.figures["silent_minutes"], 45, "figures refreshed");

      await drain();
      // 503, 500, then 200: one notification, three attempts, delivered.
      assert.equal(receiver.hits.length, 3);
      const notes = await store.alerts.notificationsOf(alert!.id);
      assert.deepEqual(
        notes.map((n) => [n.transition, n.state, n.attempts]),
        [["firing", "delivered", 3]],
      );
      const hit = receiver.hits.at(-1)!;
      assertSignedWith(secret, hit);
      const body = JSON.parse(hit.body) as { type: string; alert: Record<string, unknown> };
      assert.equal(body.type, "alert.firing");
      assert.equal(body.alert["rule"], "operator_silent");
      assert.equal(body.alert["url"], `https://pw.example/requests?operator=${f.operator.id}`);
      assert.equal(new Set(receiver.hits.map((h) => h.headers["webhook-id"])).size, 1, "retries keep the id");

      // Postbacks again: resolved, notified once.
      await store.insertRequestLogs([log(f.operator.id, now)]);
      now += MIN;
      assert.deepEqual(await evaluateAlerts(evaluate), { opened: 0, resolved: 1 });
      assert.deepEqual(await evaluateAlerts(evaluate), { opened: 0, resolved: 0 });
      await drain();
      const resolved = await store.alerts.get(alert!.id);
      assert.equal(resolved!.state, "resolved");
      assert.deepEqual(
        (await store.alerts.notificationsOf(alert!.id)).map((n) => [n.transition, n.state]),
        [
          ["firing", "delivered"],
          ["resolved", "delivered"],
        ],
      );
      assert.equal(JSON.parse(receiver.hits.at(-1)!.body).type, "alert.resolved");
    });

    test("a rejection rate over the threshold fires from the minimum count on", async () => {
      const hour = Math.floor(now / H) * H;
      const rejected = Array.from({ length: 10 }, (_, i) =>
        log(f.operator.id, hour + i, "invalid_signature", 401),
      );
      const accepted = Array.from({ length: 9 }, (_, i) => log(f.operator.id, hour + 100 + i));
      await store.insertRequestLogs([...rejected, ...accepted]);
      await evaluateAlerts(evaluate);
      assert.ok(
        !(await firing()).includes(`rejection_rate:${f.operator.id}`),
        "19 postbacks: too few to judge",
      );
      await store.insertRequestLogs([log(f.operator.id, hour + 200)]);
      await evaluateAlerts(evaluate);
      assert.ok((await firing()).includes(`rejection_rate:${f.operator.id}`), "10 of 20 rejected");
      const [alert] = (await store.alerts.firing()).filter((a) => a.rule === "rejection_rate");
      assert.deepEqual([alert!.figures["rejected"], alert!.figures["postbacks"]], [10, 20]);
    });

    test("an endpoint failing past the threshold fires; disabled automatically, it says so; re-enabled, both resolve", async () => {
      const endpoint = await store.deliveries.endpoints.create(
        endpointInput(f.affiliate.id, { name: "tracker" }),
        now,
      );
      await store.deliveries.endpoints.recordResult(endpoint.id, false, now);
      now += 20 * MIN;
      await evaluateAlerts(evaluate);
      assert.ok(!(await firing()).includes(`endpoint_failing:${endpoint.id}`));
      now += 15 * MIN;
      await evaluateAlerts(evaluate);
      assert.ok((await firing()).includes(`endpoint_failing:${endpoint.id}`));
      await store.deliveries.endpoints.disable(endpoint.id, "100 consecutive failed attempts", now);
      await evaluateAlerts(evaluate);
      const now1 = await firing();
      assert.ok(now1.includes(`endpoint_disabled:${endpoint.id}`));
      assert.ok(!now1.includes(`endpoint_failing:${endpoint.id}`), "failing resolves once disabled");
      await store.deliveries.endpoints.update(endpoint.id, { status: "active" }, now);
      await evaluateAlerts(evaluate);
      assert.ok(!(await firing()).some((k) => k.endsWith(`:${endpoint.id}`) && k.startsWith("endpoint_")));
    });

    test("two evaluators at once open an alert once", async () => {
      const other = await createFixture(store);
      const hour = Math.floor(now / H) * H;
      await store.insertRequestLogs(
        Array.from({ length: 30 }, (_, i) => log(other.operator.id, hour + i, "invalid_signature", 401)),
      );
      const second = { ...evaluate, history: createOutcomeHistory(store.alertFacts, evaluate.settings) };
      const results = await Promise.all([evaluateAlerts(evaluate), evaluateAlerts(second)]);
      const alerts = (await store.alerts.list({ limit: 1000 })).filter(
        (a) => a.rule === "rejection_rate" && a.subjectId === other.operator.id,
      );
      assert.equal(alerts.length, 1);
      assert.equal((await store.alerts.notificationsOf(alerts[0]!.id)).length, 1, "one per webhook");
      assert.equal(
        results.reduce((sum, r) => sum + r.opened, 0),
        1,
        "one of the two evaluators opened it",
      );
    });
  });
}
