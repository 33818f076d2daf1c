/**
 * Use cases: reading the outbox and the attempt log, and replaying deliveries (one, or an
 * endpoint's in a time range). Affiliate keys see their own; admins all; operator keys none.
 */
import { PostwireError } from "../../domain/errors.ts";
import type { Principal } from "../../domain/model.ts";
import type { AdminDeps } from "../admin/deps.ts";
import { allowRoles, notFound, seesAffiliate, tenantFilter } from "../admin/scope.ts";
import type { AttemptFilter, DeliveryFilter, ReplayRange } from "./delivery-store-port.ts";
import { getEndpoint } from "./endpoints.ts";
import type { Attempt, Delivery } from "./outbox-port.ts";

export async function listDeliveries(
  deps: AdminDeps,
  principal: Principal,
  filter: DeliveryFilter,
): Promise<Delivery[]> {
  allowRoles(principal, "admin", "affiliate");
  return deps.store.deliveries.list({ ...filter, ...tenantFilter(principal, filter) });
}

export async function getDelivery(
  deps: AdminDeps,
  principal: Principal,
  id: string,
): Promise<{ delivery: Delivery; attempts: Attempt[] }> {
  allowRoles(principal, "admin", "affiliate");
  const delivery = await deps.store.deliveries.get(id);
  if (!delivery || !seesAffiliate(principal, delivery.affiliateId)) throw notFound("Delivery", id);
  const attempts = await deps.store.deliveries.attempts({ deliveryId: id, limit: 1000 });
  return { delivery, attempts };
}

export async function searchAttempts(
  deps: AdminDeps,
  principal: Principal,
  filter: AttemptFilter,
): Promise<Attempt[]> {
  allowRoles(principal, "admin", "affiliate");
  return deps.store.deliveries.attempts({ ...filter, ...tenantFilter(principal, filter) });
}

/**
 * A program's dead and failing deliveries, newest first (admin only: they span its affiliates, and
 * operator keys see no outbound deliveries).
 */
export async function listProgramDeliveries(
  deps: AdminDeps,
  principal: Principal,
  programId: number,
  limit: number,
): Promise<{ dead: Delivery[]; failing: Delivery[] }> {
  allowRoles(principal, "admin");
  const [dead, failing] = await Promise.all([
    deps.store.deliveries.listOfProgram({ programId, kind: "dead", limit }),
    deps.store.deliveries.listOfProgram({ programId, kind: "failing", limit }),
  ]);
  return { dead, failing };
}

/** Sends one delivery again, now, with a fresh schedule and the same delivery id. */
export async function replayDelivery(deps: AdminDeps, principal: Principal, id: string): Promise<Delivery> {
  await getDelivery(deps, principal, id);
  if (!(await deps.store.deliveries.replay(id, deps.clock.now()))) {
    throw new PostwireError("conflict", `Delivery ${id} is being sent right now; replay it once it is done.`);
  }
  return (await deps.store.deliveries.get(id))!;
}

/** Replays an endpoint's deliveries created in [since, until) in the given states (default dead). */
export async function replayRange(
  deps: AdminDeps,
  principal: Principal,
  request: ReplayRange,
): Promise<number> {
  await getEndpoint(deps, principal, request.endpointId);
  return deps.store.deliveries.replayRange(request, deps.clock.now());
}
