/** Affiliates: created and changed by admins; an affiliate key reads only its own record. */
import type { Affiliate, Principal, Status } from "../../domain/model.ts";
import type { AdminDeps, Page } from "./deps.ts";
import { allowRoles, notFound, seesAffiliate } from "./scope.ts";

interface AffiliateInput {
  readonly name: string;
  readonly email?: string | null | undefined;
  readonly status?: Status | undefined;
}

export async function createAffiliate(
  deps: AdminDeps,
  principal: Principal,
  input: AffiliateInput,
): Promise<Affiliate> {
  allowRoles(principal, "admin");
  const affiliate = await deps.store.affiliates.create(
    { name: input.name, email: input.email ?? null, status: input.status ?? "active" },
    deps.clock.now(),
  );
  deps.catalog.invalidate();
  return affiliate;
}

export async function getAffiliate(deps: AdminDeps, principal: Principal, id: number): Promise<Affiliate> {
  allowRoles(principal, "admin", "affiliate");
  const affiliate = seesAffiliate(principal, id) ? await deps.store.affiliates.get(id) : undefined;
  if (!affiliate) throw notFound("Affiliate", id);
  return affiliate;
}

export async function listAffiliates(
  deps: AdminDeps,
  principal: Principal,
  page: Page,
): Promise<Affiliate[]> {
  allowRoles(principal, "admin", "affiliate");
  const own = principal.role === "affiliate" ? (principal.affiliateId ?? -1) : undefined;
  return deps.store.affiliates.list({ limit: page.limit, after: page.after, affiliateId: own });
}

export async function updateAffiliate(
  deps: AdminDeps,
  principal: Principal,
  id: number,
  input: Partial<AffiliateInput>,
): Promise<Affiliate> {
  allowRoles(principal, "admin");
  // Fields left undefined are not written; a null email clears it.
  const updated = await deps.store.affiliates.update(
    id,
    { name: input.name, email: input.email, status: input.status },
    deps.clock.now(),
  );
  deps.catalog.invalidate();
  if (!updated) throw notFound("Affiliate", id);
  return updated;
}
