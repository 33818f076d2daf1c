import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type AlertView,
  alertJson,
  slackMessage,
  summaryOf,
} from "../../../src/domain/alerts/alert-messages.ts";

const alert: AlertView = {
  id: "al_1",
  rule: "operator_silent",
  state: "firing",
  subjectKind: "operator",
  subjectId: 3,
  subjectName: "Acme <!channel> & Co",
  since: Date.UTC(2026, 11, 6, 10),
  resolvedAt: null,
  figures: { silent_minutes: 150, expected_postbacks: 42.5, last_postback_at: "2026-12-06T10:00:00.000Z" },
  url: "https://pw.example/operators/3",
};

test("the summary names the subject and its figures", () => {
  assert.equal(
    summaryOf(alert),
    "Operator Acme <!channel> & Co has sent no postback for 2 h 30 min (about 42.5 were expected by its usual hours).",
  );
});

test("the JSON body carries state, subject, since, figures and the console link", () => {
  const body = alertJson(alert) as { type: string; alert: Record<string, unknown> };
  assert.equal(body.type, "alert.firing");
  assert.deepEqual(body.alert["subject"], { type: "operator", id: 3, name: "Acme <!channel> & Co" });
  assert.equal(body.alert["since"], "2026-12-06T10:00:00.000Z");
  assert.equal(body.alert["url"], "https://pw.example/operators/3");
  assert.equal(
    alertJson({ ...alert, state: "resolved", resolvedAt: Date.UTC(2026, 11, 6, 13) }).type,
    "alert.resolved",
  );
});

test("Slack text escapes names, so they cannot mention a channel or forge a link", () => {
  const { text } = slackMessage(alert) as { text: string };
  assert.match(text, /^:red_circle: \*Firing\* Operator Acme &lt;!channel&gt; &amp; Co has sent/);
  assert.ok(text.endsWith("<https://pw.example/operators/3|Open in Postwire>"));
  assert.match(
    (slackMessage({ ...alert, state: "resolved" }) as { text: string }).text,
    /^:large_green_circle: \*Resolved\*/,
  );
});
