/** /v1/deliveries and /v1/delivery-attempts: the outbox, replays and the attempt log. */
import type { FastifyInstance } from "fastify";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import {
  getDelivery,
  listDeliveries,
  replayDelivery,
  replayRange,
  searchAttempts,
} from "../../../../app/delivery/deliveries.ts";
import { DELIVERY_STATES, type DeliveryState } from "../../../../app/delivery/outbox-port.ts";
import { principalOf } from "../../api-auth.ts";
import { ATTEMPT, attemptJson, DELIVERY, deliveryJson } from "./endpoints-json.ts";
import { type RangeQuery, rangeListRoute } from "./range-list-route.ts";
import { TIME_RANGE } from "./record-schemas.ts";
import { adminSchema, ID, msOf, object, record } from "./schemas.ts";

const TAGS = ["deliveries"];
const STATE = { type: "string", enum: [...DELIVERY_STATES] };
const ID_PARAM = object({ id: { type: "string", minLength: 1, maxLength: 64 } }, ["id"]);

interface DeliveryQuery extends RangeQuery {
  affiliate_id?: number;
  endpoint_id?: number;
  conversion_id?: string;
  state?: DeliveryState;
}
interface AttemptQuery extends RangeQuery {
  affiliate_id?: number;
  endpoint_id?: number;
  delivery_id?: string;
  failed?: boolean;
}
interface ReplayBody {
  endpoint_id: number;
  since?: string;
  until?: string;
  states?: DeliveryState[];
}

function deliveries(app: FastifyInstance, deps: AdminDeps): void {
  rangeListRoute(app, {
    path: "/deliveries",
    summary: "List deliveries, newest first (an affiliate key sees its own)",
    tags: TAGS,
    filters: {
      affiliate_id: ID,
      endpoint_id: ID,
      conversion_id: { type: "string", maxLength: 64 },
      state: STATE,
    },
    item: DELIVERY,
    wire: deliveryJson,
    position: (row) => ({ at: row.createdAt, id: row.id }),
    load: (principal, range, q: DeliveryQuery) =>
      listDeliveries(deps, principal, {
        ...range,
        affiliateId: q.affiliate_id,
        endpointId: q.endpoint_id,
        conversionId: q.conversion_id,
        state: q.state,
      }),
  });
  const one = adminSchema({
    summary: "Get a delivery with its attempts",
    tags: TAGS,
    params: ID_PARAM,
    response: {
      200: record({ ...(DELIVERY["properties"] as object), attempts: { type: "array", items: ATTEMPT } }),
    },
  });
  app.get<{ Params: { id: string } }>("/deliveries/:id", { schema: one }, async (request) => {
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
  app.post<{ Params: { id: string } }>("/deliveries/:id/replay", { schema: one }, async (request) =>
    deliveryJson(await replayDelivery(deps, principalOf(request), request.params.id)),
  );
  const bulk = adminSchema({
    summary: "Replay an endpoint's deliveries created in a time range (default: dead ones)",
    tags: TAGS,
    body: object({ endpoint_id: ID, ...TIME_RANGE, states: { type: "array", items: STATE, minItems: 1 } }, [
      "endpoint_id",
    ]),
    response: { 200: record({ replayed: { type: "integer" } }) },
  });
  app.post<{ Body: ReplayBody }>("/deliveries/replay", { schema: bulk }, async (request) => {
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
      affiliate_id: ID,
      endpoint_id: ID,
      delivery_id: { type: "string", maxLength: 64 },
      failed: { type: "boolean" },
    },
    item: ATTEMPT,
    wire: attemptJson,
    position: (row) => ({ at: row.startedAt, id: row.id }),
    load: (principal, range, q: AttemptQuery) =>
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
