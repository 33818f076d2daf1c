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
import { ATTEMPT, attemptWire, DELIVERY, deliveryWire } from "./endpoints-wire.ts";
import { LIMIT, listOf, TIME_RANGE } from "./record-wire.ts";
import { adminSchema, ID, msOf, object, record } from "./schemas.ts";

const TAGS = ["deliveries"];
const STATE = { type: "string", enum: [...DELIVERY_STATES] };
const ID_PARAM = object({ id: { type: "string", minLength: 1, maxLength: 64 } }, ["id"]);

interface Range {
  limit?: number;
  since?: string;
  until?: string;
}
interface DeliveryQuery extends Range {
  affiliate_id?: number;
  endpoint_id?: number;
  conversion_id?: string;
  state?: DeliveryState;
}
interface AttemptQuery extends Range {
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

const rangeOf = (q: Range) => ({ limit: q.limit, since: msOf(q.since), until: msOf(q.until) });

function deliveries(app: FastifyInstance, deps: AdminDeps): void {
  const list = adminSchema({
    summary: "List deliveries, newest first (an affiliate key sees its own)",
    tags: TAGS,
    querystring: object({
      ...TIME_RANGE,
      limit: LIMIT,
      affiliate_id: ID,
      endpoint_id: ID,
      conversion_id: { type: "string", maxLength: 64 },
      state: STATE,
    }),
    response: { 200: listOf(DELIVERY) },
  });
  app.get<{ Querystring: DeliveryQuery }>("/deliveries", { schema: list }, async (request) => {
    const q = request.query;
    const rows = await listDeliveries(deps, principalOf(request), {
      ...rangeOf(q),
      affiliateId: q.affiliate_id,
      endpointId: q.endpoint_id,
      conversionId: q.conversion_id,
      state: q.state,
    } as Parameters<typeof listDeliveries>[2]);
    return { data: rows.map(deliveryWire) };
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
    return { ...deliveryWire(delivery), attempts: attempts.map(attemptWire) };
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
    deliveryWire(await replayDelivery(deps, principalOf(request), request.params.id)),
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
  const list = adminSchema({
    summary: "Search the attempt log, newest first",
    tags: TAGS,
    querystring: object({
      ...TIME_RANGE,
      limit: LIMIT,
      affiliate_id: ID,
      endpoint_id: ID,
      delivery_id: { type: "string", maxLength: 64 },
      failed: { type: "boolean" },
    }),
    response: { 200: listOf(ATTEMPT) },
  });
  app.get<{ Querystring: AttemptQuery }>("/delivery-attempts", { schema: list }, async (request) => {
    const q = request.query;
    const rows = await searchAttempts(deps, principalOf(request), {
      ...rangeOf(q),
      affiliateId: q.affiliate_id,
      endpointId: q.endpoint_id,
      deliveryId: q.delivery_id,
      failed: q.failed,
    } as Parameters<typeof searchAttempts>[2]);
    return { data: rows.map(attemptWire) };
  });
}

export async function deliveryRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  deliveries(app, deps);
  replays(app, deps);
  attempts(app, deps);
}
