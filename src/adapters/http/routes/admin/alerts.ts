/** /v1/alerts (what fired, what resolved) and /v1/alert-webhooks (where alerts go): docs/alerts.md. */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import {
  type AlertAdminDeps,
  createAlertWebhook,
  getAlert,
  getAlertWebhook,
  listAlerts,
  listAlertWebhooks,
  testAlertWebhook,
  updateAlertWebhook,
} from "../../../../app/alerts/alert-admin.ts";
import { type AlertRow, type AlertWebhook, WEBHOOK_FORMATS } from "../../../../app/alerts/alert-port.ts";
import { ALERT_RULES, summaryOf } from "../../../../domain/alerts/alert-messages.ts";
import { principalOf } from "../../api-auth.ts";
import { pageOf, timeBefore, wholeList } from "../../cursor.ts";
import { typed } from "../../type-provider.ts";
import { TEST_RESULT, testResultJson } from "./endpoints.ts";
import {
  adminSchema,
  ID,
  idParams,
  iso,
  isoOrNull,
  listOf,
  NAME,
  Nullable,
  OneOf,
  PAGE,
  Strict,
  TIME,
} from "./schemas.ts";

const TAGS = ["alerts"];
const FIGURE = Type.Union([Type.Number(), Type.String(), Type.Null()]);

const ALERT = Type.Object({
  id: Type.String(),
  rule: OneOf(ALERT_RULES),
  state: OneOf(["firing", "resolved"] as const),
  subject: Type.Object({ type: OneOf(["operator", "endpoint"] as const), id: ID, name: Type.String() }),
  summary: Type.String(),
  since: Type.String({ format: "date-time", description: "When the condition began." }),
  resolved_at: Nullable(TIME),
  figures: Type.Record(Type.String(), FIGURE),
  link: Type.String({ description: "The console page to look at (a path of this service)." }),
  created_at: TIME,
  updated_at: TIME,
});

const NOTIFICATION = Type.Object({
  id: Type.String(),
  webhook_id: ID,
  transition: OneOf(["firing", "resolved"] as const),
  state: OneOf(["pending", "delivered", "dead"] as const),
  attempts: Type.Integer(),
  last_error: Nullable(Type.String()),
  last_status: Nullable(Type.Integer()),
  delivered_at: Nullable(TIME),
});

const alertJson = (a: AlertRow) => ({
  id: a.id,
  rule: a.rule,
  state: a.state,
  subject: { type: a.subjectKind, id: a.subjectId, name: a.subjectName },
  summary: summaryOf(a),
  since: iso(a.since),
  resolved_at: isoOrNull(a.resolvedAt),
  figures: a.figures,
  link: a.link,
  created_at: iso(a.createdAt),
  updated_at: iso(a.updatedAt),
});

const WEBHOOK = Type.Object({
  id: ID,
  name: Type.String(),
  url: Type.String(),
  format: OneOf(WEBHOOK_FORMATS),
  status: OneOf(["active", "disabled"] as const),
  created_at: TIME,
  updated_at: TIME,
});

const webhookJson = (w: AlertWebhook) => ({
  id: w.id,
  name: w.name,
  url: w.url,
  format: w.format,
  status: w.status,
  created_at: iso(w.createdAt),
  updated_at: iso(w.updatedAt),
});

const URL_TEXT = Type.String({
  minLength: 1,
  maxLength: 2000,
  description: "Absolute http(s) URL (egress guard applies).",
});
const FORMAT = OneOf(WEBHOOK_FORMATS, {
  description:
    "`json`: the alert as JSON, signed with Standard Webhooks headers; `slack`: a Slack-compatible message.",
});

function alertRoutes(app: FastifyInstance, deps: AlertAdminDeps): void {
  const list = adminSchema({
    summary: "Alerts, newest first (an operator key: those about its operator)",
    tags: TAGS,
    querystring: Strict({ state: Type.Optional(OneOf(["firing", "resolved"] as const)), ...PAGE }),
    response: { 200: listOf(ALERT) },
  });
  typed(app).get("/alerts", { schema: list }, async (request) => {
    const { state, limit, cursor } = request.query;
    const after = timeBefore(cursor);
    const rows = await listAlerts(deps, principalOf(request), {
      state,
      limit,
      ...(after ? { after: [after.at, after.id] as const } : {}),
    });
    return pageOf(rows, limit, alertJson, (a) => [a.createdAt, a.id]);
  });
  const one = adminSchema({
    summary: "An alert, with its notifications (admin)",
    tags: TAGS,
    params: Strict({ id: Type.String({ maxLength: 64 }) }),
    response: { 200: Type.Object({ ...ALERT.properties, notifications: Type.Array(NOTIFICATION) }) },
  });
  typed(app).get("/alerts/:id", { schema: one }, async (request) => {
    const { alert, notifications } = await getAlert(deps, principalOf(request), request.params.id);
    return {
      ...alertJson(alert),
      notifications: notifications.map((n) => ({
        id: n.id,
        webhook_id: n.webhookId,
        transition: n.transition,
        state: n.state,
        attempts: n.attempts,
        last_error: n.lastError,
        last_status: n.lastStatus,
        delivered_at: isoOrNull(n.deliveredAt),
      })),
    };
  });
}

function webhookRoutes(app: FastifyInstance, deps: AlertAdminDeps): void {
  const create = adminSchema({
    summary: "Add an alert webhook (admin); a json webhook's signing secret is shown once",
    tags: TAGS,
    body: Strict({ name: NAME, url: URL_TEXT, format: Type.Optional(FORMAT) }),
    response: { 201: Type.Object({ ...WEBHOOK.properties, secret: Type.String() }) },
  });
  typed(app).post("/alert-webhooks", { schema: create }, async (request, reply) => {
    const { webhook, secret } = await createAlertWebhook(deps, principalOf(request), {
      ...request.body,
      format: request.body.format ?? "json",
    });
    return reply.status(201).send({ ...webhookJson(webhook), secret });
  });
  const list = adminSchema({
    summary: "Alert webhooks (admin)",
    tags: TAGS,
    response: { 200: listOf(WEBHOOK) },
  });
  typed(app).get("/alert-webhooks", { schema: list }, async (request) =>
    wholeList(await listAlertWebhooks(deps, principalOf(request)), webhookJson),
  );
  const get = adminSchema({
    summary: "An alert webhook (admin)",
    tags: TAGS,
    params: idParams,
    response: { 200: WEBHOOK },
  });
  typed(app).get("/alert-webhooks/:id", { schema: get }, async (request) =>
    webhookJson(await getAlertWebhook(deps, principalOf(request), request.params.id)),
  );
  const update = adminSchema({
    summary: "Change an alert webhook (admin)",
    tags: TAGS,
    params: idParams,
    body: Strict(
      {
        name: Type.Optional(NAME),
        url: Type.Optional(URL_TEXT),
        format: Type.Optional(FORMAT),
        status: Type.Optional(OneOf(["active", "disabled"] as const)),
      },
      { minProperties: 1 },
    ),
    response: { 200: WEBHOOK },
  });
  typed(app).patch("/alert-webhooks/:id", { schema: update }, async (request) =>
    webhookJson(await updateAlertWebhook(deps, principalOf(request), request.params.id, request.body)),
  );
  const test = adminSchema({
    summary: "Send a sample alert now and show the full result (admin)",
    tags: TAGS,
    params: idParams,
    response: { 200: TEST_RESULT },
  });
  typed(app).post("/alert-webhooks/:id/test", { schema: test }, async (request) => {
    const { request: sent, result } = await testAlertWebhook(deps, principalOf(request), request.params.id);
    return testResultJson(sent, result);
  });
}

export async function alertsRoutes(app: FastifyInstance, deps: AlertAdminDeps): Promise<void> {
  alertRoutes(app, deps);
  webhookRoutes(app, deps);
}
