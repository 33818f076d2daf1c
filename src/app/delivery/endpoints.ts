/**
 * Use cases: affiliates' outbound endpoints (DESIGN §4). An affiliate key manages its own; an admin
 * manages any affiliate's; operator keys may not. A URL template is validated when saved (unknown
 * macros refused with the list of valid ones, never sent literally) and its destination checked by
 * the egress guard. The signing secret is shown once, when created or rotated.
 */
import { PostwireError } from "../../domain/errors.ts";
import { renderTemplate, validateTemplate } from "../../domain/macros.ts";
import type { Principal } from "../../domain/model.ts";
import { DEFAULT_GRACE_HOURS, liveSecrets, rotateSecrets } from "../../domain/secret-rotation.ts";
import { encodeSecret } from "../../domain/signing.ts";
import type { AdminDeps, Page } from "../admin/deps.ts";
import { allowRoles, notFound, seesAffiliate } from "../admin/scope.ts";
import { isEventName, orThrow } from "../admin/validate.ts";
import type { EndpointCache } from "./endpoint-cache.ts";
import { buildRequest, OUTBOUND_MACROS, sampleValues } from "./outbound-message.ts";
import {
  DEFAULT_FIRE_STATUSES,
  type Endpoint,
  type EndpointMethod,
  type EndpointPatch,
  type EndpointStatus,
  type FireStatus,
} from "./outbox-port.ts";
import type { EgressGuard, OutboundRequest, OutboundSender, SendOptions, SendResult } from "./sender-port.ts";

export interface OutboundAdminDeps extends AdminDeps {
  readonly guard: EgressGuard;
  readonly sender: OutboundSender;
  readonly endpointCache: EndpointCache;
  readonly sendOptions: SendOptions;
}

export interface EndpointInput {
  readonly affiliateId?: number | undefined;
  readonly name?: string | undefined;
  readonly urlTemplate: string;
  readonly method?: EndpointMethod | undefined;
  readonly events?: readonly string[] | undefined;
  readonly programIds?: readonly number[] | undefined;
  readonly statuses?: readonly FireStatus[] | undefined;
  readonly delaySeconds?: number | undefined;
  readonly includeTest?: boolean | undefined;
  readonly status?: EndpointStatus | undefined;
}

/** Syntax and macros, then the destination (scheme, literal and resolved addresses). */
async function checkTemplate(deps: OutboundAdminDeps, template: string): Promise<string> {
  orThrow(validateTemplate(template, OUTBOUND_MACROS, "url_template"));
  const verdict = await deps.guard.check(
    renderTemplate(template, { ...sampleValues(), delivery_id: "dl_TEST" }),
  );
  if (!verdict.ok) {
    throw new PostwireError(
      "invalid_field",
      `url_template may not be called: ${verdict.reason}`,
      "url_template",
    );
  }
  return template;
}

/** Most events an endpoint may subscribe to, and the longest delay before it is sent (one day). */
const MAX_EVENTS = 100;
const MAX_DELAY_SECONDS = 86_400;

function checkEventList(events: readonly string[] | undefined): string[] | undefined {
  if (events === undefined) return undefined;
  if (events.length > MAX_EVENTS)
    throw new PostwireError("invalid_field", `At most ${MAX_EVENTS} events.`, "events");
  for (const name of events) {
    if (!isEventName(name))
      throw new PostwireError("invalid_field", `"${name}" is not an event name.`, "events");
  }
  return [...new Set(events)];
}

function checkDelay(seconds: number | undefined): number | undefined {
  if (
    seconds !== undefined &&
    !(Number.isSafeInteger(seconds) && seconds >= 0 && seconds <= MAX_DELAY_SECONDS)
  )
    throw new PostwireError(
      "invalid_field",
      `delay_seconds must be a whole number from 0 to ${MAX_DELAY_SECONDS}.`,
      "delay_seconds",
    );
  return seconds;
}

/** The affiliate an endpoint is created for: an affiliate key's own; an admin names one. */
async function ownerOf(
  deps: AdminDeps,
  principal: Principal,
  requested: number | undefined,
): Promise<number> {
  if (principal.role === "affiliate") {
    if (requested !== undefined && requested !== principal.affiliateId) {
      throw new PostwireError(
        "forbidden",
        "An affiliate key manages only its own endpoints.",
        "affiliate_id",
      );
    }
    return principal.affiliateId ?? -1;
  }
  if (requested === undefined)
    throw new PostwireError("missing_field", "affiliate_id is required.", "affiliate_id");
  if (!(await deps.store.affiliates.get(requested))) throw notFound("Affiliate", requested);
  return requested;
}

/** The disabled reasons an admin or affiliate action records (deliver-postback.ts records its own). */
const CREATED_DISABLED = "Created disabled.";
const DISABLED_BY_HAND = "Disabled by hand.";

export async function createEndpoint(
  deps: OutboundAdminDeps,
  principal: Principal,
  input: EndpointInput,
): Promise<{ endpoint: Endpoint; secret: string }> {
  allowRoles(principal, "admin", "affiliate");
  const affiliateId = await ownerOf(deps, principal, input.affiliateId);
  const secret = encodeSecret(deps.ids.random(24));
  const endpoint = await deps.store.deliveries.endpoints.create(
    {
      affiliateId,
      name: input.name ?? "endpoint",
      urlTemplate: await checkTemplate(deps, input.urlTemplate),
      method: input.method ?? "GET",
      events: checkEventList(input.events) ?? [],
      programIds: [...new Set(input.programIds ?? [])],
      // Stored as listed: an endpoint never starts receiving a status it did not subscribe to.
      statuses: [...new Set<FireStatus>(input.statuses ?? DEFAULT_FIRE_STATUSES)],
      delaySeconds: checkDelay(input.delaySeconds) ?? 0,
      includeTest: input.includeTest ?? false,
      secret,
      status: input.status ?? "active",
    },
    deps.clock.now(),
    CREATED_DISABLED,
  );
  deps.endpointCache.invalidate();
  return { endpoint, secret };
}

/**
 * Reads show an endpoint as it stands now: a previous secret whose grace period is over is not
 * shown (nor its expiry), though the retention job may not have erased it from storage yet.
 */
export async function getEndpoint(deps: AdminDeps, principal: Principal, id: number): Promise<Endpoint> {
  allowRoles(principal, "admin", "affiliate");
  const endpoint = await deps.store.deliveries.endpoints.get(id);
  if (!endpoint || !seesAffiliate(principal, endpoint.affiliateId)) throw notFound("Endpoint", id);
  return liveSecrets(endpoint, deps.clock.now());
}

export async function listEndpoints(
  deps: AdminDeps,
  principal: Principal,
  filter: Page & { affiliateId?: number | undefined },
): Promise<Endpoint[]> {
  allowRoles(principal, "admin", "affiliate");
  const affiliateId =
    principal.role === "affiliate" ? await ownerOf(deps, principal, filter.affiliateId) : filter.affiliateId;
  const endpoints = await deps.store.deliveries.endpoints.list({
    affiliateId,
    limit: filter.limit,
    after: filter.after,
  });
  const now = deps.clock.now();
  return endpoints.map((endpoint) => liveSecrets(endpoint, now));
}

/** Changes an endpoint; `status: "active"` re-enables one that was disabled (and clears why). */
export async function updateEndpoint(
  deps: OutboundAdminDeps,
  principal: Principal,
  id: number,
  input: Partial<EndpointInput>,
): Promise<Endpoint> {
  await getEndpoint(deps, principal, id);
  const patch: EndpointPatch = {
    name: input.name,
    urlTemplate: input.urlTemplate === undefined ? undefined : await checkTemplate(deps, input.urlTemplate),
    method: input.method,
    events: checkEventList(input.events),
    programIds: input.programIds && [...new Set(input.programIds)],
    statuses: input.statuses && [...new Set(input.statuses)],
    delaySeconds: checkDelay(input.delaySeconds),
    includeTest: input.includeTest,
    // Disabling goes through disable(), which records why and when, and only for an active
    // endpoint: one already disabled (by a 410, say) keeps its first reason.
    status: input.status === "disabled" ? undefined : input.status,
  };
  const now = deps.clock.now();
  const updated = await deps.store.deliveries.endpoints.update(id, patch, now);
  if (!updated) throw notFound("Endpoint", id);
  if (input.status === "disabled") await deps.store.deliveries.endpoints.disable(id, DISABLED_BY_HAND, now);
  deps.endpointCache.invalidate();
  return getEndpoint(deps, principal, id);
}

/** Rotations read the secret and write only if it is unchanged; this many tries before a 409. */
const ROTATE_TRIES = 3;

/**
 * Issues a new signing secret, returned once. The replaced secret keeps signing, next to the new
 * one, for `graceHours` (0: it stops at once); a rotation during a grace period drops the secret
 * that was already on its way out. Two rotations at once: each writes only over the secret it read.
 */
export async function rotateEndpointSecret(
  deps: OutboundAdminDeps,
  principal: Principal,
  id: number,
  graceHours: number = DEFAULT_GRACE_HOURS,
): Promise<{ endpoint: Endpoint; secret: string }> {
  for (let attempt = 1; attempt <= ROTATE_TRIES; attempt++) {
    const current = await getEndpoint(deps, principal, id);
    const secret = encodeSecret(deps.ids.random(24));
    const now = deps.clock.now();
    const next = orThrow(rotateSecrets(current, secret, graceHours, now));
    const endpoint = await deps.store.deliveries.endpoints.replaceSecrets(id, current.secret, next, now);
    if (endpoint) {
      deps.endpointCache.invalidate();
      return { endpoint, secret };
    }
  }
  throw new PostwireError("conflict", "The secret was being rotated by another request; try again.");
}

export interface TestResult {
  readonly request: OutboundRequest;
  readonly result: SendResult;
}

/** Sends a sample message now (not stored, not retried) and answers exactly what happened. */
export async function sendTest(
  deps: OutboundAdminDeps,
  principal: Principal,
  id: number,
): Promise<TestResult> {
  const endpoint = await getEndpoint(deps, principal, id);
  const delivery = { id: deps.ids.next("dl"), payload: { ...sampleValues(), status: "test" } };
  const request = buildRequest(endpoint, delivery, deps.clock.now());
  const result = await deps.sender.send(request, deps.sendOptions);
  return { request, result };
}
