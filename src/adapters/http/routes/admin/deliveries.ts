/** /v1/deliveries and /v1/delivery-attempts: the outbox, replays and the attempt log. */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import {
  getDelivery,
  listDeliveries,
  replayDelivery,
  replayRange,
  searchAttempts,
} from "../../../../app/delivery/deliveries.ts";
import { DELIVERY_STATES } from "../../../../app/delivery/outbox-port.ts";
import { principalOf } from "../../api-auth.ts";
import { typed } from "../../type-provider.ts";
import { ATTEMPT, attemptJson, DELIVERY, deliveryJson } from "./endpoints-json.ts";
import { rangeListRoute } from "./range-list-route.ts";
import { TIME_RANGE } from "./record-schemas.ts";
import { adminSchema, ID, msOf, OneOf, Strict } from "./schemas.ts";

const TAGS = ["deliveries"];
const STATE = OneOf(DELIVERY_STATES);
const ID_PARAM = Strict({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const OPTIONAL_ID = Type.Optional(ID);
const ID_TEXT = Type.Optional(Type.String({ maxLength: 64 }));

function deliveries(app: FastifyInstance, deps: AdminDeps): void {
  rangeListRoute(app, {
    path: "/deliveries",
    summary: "List deliveries, newest first (an affiliate key sees its own)",
    tags: TAGS,
    filters: {
      affiliate_id: OPTIONAL_ID,
      endpoint_id: OPTIONAL_ID,
      conversion_id: ID_TEXT,
      state: Type.Optional(STATE),
      test: Type.Optional(
        Type.Boolean({ description: "Deliveries of test events only (true) or live only (false)" }),
      ),
    },
    item: DELIVERY,
    toJson: deliveryJson,
    position: (row) => ({ at: row.createdAt, id: row.id }),
    load: (principal, range, q) =>
      listDeliveries(deps, principal, {
        ...range,
        affiliateId: q.affiliate_id,
        endpointId: q.endpoint_id,
        conversionId: q.conversion_id,
        state: q.state,
        test: q.test,
      }),
  });
  const one = adminSchema({
    summary: "Get a delivery with its attempts",
    tags: TAGS,
    params: ID_PARAM,
    response: {
      200: Type.Object({ ...DELIVERY.properties, attempts: Type.Array(ATTEMPT) }),
    },
  });
  typed(app).get("/deliveries/:id", { schema: one }, async (request) => {
    const { delivery, attempts } = await getDelivery(deps, principalOf(request), request.params.id);
    return { ...deliveryJson(delivery), attempts: attempts.map(attemptJson) };
  });
}

function replays(app: FastifyInstance, deps: AdminDeps): void {
  const one = adminSchema({
    summary: "Send a delivery again now (same delivery id, fresh schedule)",
    tags: TAGS,
    params: ID_PARAM,
    response: { 200: DELIVERY },
  });
  typed(app).post("/deliveries/:id/replay", { schema: one }, async (request) =>
    deliveryJson(await replayDelivery(deps, principalOf(request), request.params.id)),
  );
  const bulk = adminSchema({
    summary: "Replay an endpoint's deliveries created in a time range (default: dead ones)",
    tags: TAGS,
    body: Strict({
      endpoint_id: ID,
      ...TIME_RANGE,
      states: Type.Optional(Type.Array(STATE, { minItems: 1 })),
    }),
    response: { 200: Type.Object({ replayed: Type.Integer() }) },
  });
  typed(app).post("/deliveries/replay", { schema: bulk }, async (request) => {
    const b = request.body;
    const replayed = await replayRange(deps, principalOf(request), {
      endpointId: b.endpoint_id,
      since: msOf(b.since),
      until: msOf(b.until),
      states: b.states,
    });
    return { replayed };
  });
}

function attempts(app: FastifyInstance, deps: AdminDeps): void {
  rangeListRoute(app, {
    path: "/delivery-attempts",
    summary: "Search the attempt log, newest first",
    tags: TAGS,
    filters: {
      affiliate_id: OPTIONAL_ID,
      endpoint_id: OPTIONAL_ID,
      delivery_id: ID_TEXT,
      failed: Type.Optional(Type.Boolean()),
    },
    item: ATTEMPT,
    toJson: attemptJson,
    position: (row) => ({ at: row.startedAt, id: row.id }),
    load: (principal, range, q) =>
      searchAttempts(deps, principal, {
        ...range,
        affiliateId: q.affiliate_id,
        endpointId: q.endpoint_id,
        deliveryId: q.delivery_id,
        failed: q.failed,
      }),
  });
}

export async function deliveryRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  deliveries(app, deps);
  replays(app, deps);
  attempts(app, deps);
}
