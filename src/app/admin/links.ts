/**
 * Tracking links (affiliate × program). Admins create and change them; an operator key reads the
 * links of its programs, an affiliate key its own links.
 */
import { PostwireError } from "../../domain/errors.ts";
import type { Link, LinkStatus, Principal } from "../../domain/model.ts";
import type { AdminDeps, Page } from "./deps.ts";
import { allowRoles, notFound, seesAffiliate, seesOperator, tenantFilter } from "./scope.ts";
import { checkLandingTemplate, randomToken } from "./validate.ts";

interface CreateLinkInput {
  readonly affiliateId: number;
  readonly programId: number;
  /** Omitted: 10 random URL-safe characters. */
  readonly code?: string | undefined;
  readonly status?: LinkStatus | undefined;
  readonly landingUrlTemplate?: string | null | undefined;
}

interface UpdateLinkInput {
  readonly status?: LinkStatus | undefined;
  readonly landingUrlTemplate?: string | null | undefined;
}

interface LinkFilter extends Page {
  readonly affiliateId?: number | undefined;
  readonly programId?: number | undefined;
  readonly operatorId?: number | undefined;
}

const LINK_CODE_LENGTH = 10;

export async function createLink(
  deps: AdminDeps,
  principal: Principal,
  input: CreateLinkInput,
): Promise<Link> {
  allowRoles(principal, "admin");
  if (!(await deps.store.affiliates.get(input.affiliateId))) {
    throw new PostwireError(
      "validation_failed",
      `Affiliate ${input.affiliateId} does not exist.`,
      "affiliate_id",
    );
  }
  if (!(await deps.store.programs.get(input.programId))) {
    throw new PostwireError("validation_failed", `Program ${input.programId} does not exist.`, "program_id");
  }
  const template = input.landingUrlTemplate ? checkLandingTemplate(input.landingUrlTemplate) : null;
  // A generated code may collide (10 base64url characters: rarely); a given one is the caller's.
  for (let attempt = 0; ; attempt++) {
    const code = input.code ?? randomToken(deps.ids.random, "", LINK_CODE_LENGTH);
    try {
      const link = await deps.store.links.create(
        {
          code,
          affiliateId: input.affiliateId,
          programId: input.programId,
          status: input.status ?? "active",
          landingUrlTemplate: template,
        },
        deps.clock.now(),
      );
      deps.catalog.invalidate();
      return link;
    } catch (error) {
      const clash = error instanceof PostwireError && error.code === "conflict";
      if (!clash || input.code !== undefined || attempt >= 4) throw error;
    }
  }
}

/** Whether the caller sees this link: admin all, operator its programs' links, affiliate its own. */
async function seesLink(deps: AdminDeps, principal: Principal, link: Link): Promise<boolean> {
  if (principal.role === "operator") {
    const program = await deps.store.programs.get(link.programId);
    return program !== undefined && seesOperator(principal, program.operatorId);
  }
  return seesAffiliate(principal, link.affiliateId);
}

export async function getLink(deps: AdminDeps, principal: Principal, id: number): Promise<Link> {
  const link = await deps.store.links.get(id);
  if (!link || !(await seesLink(deps, principal, link))) throw notFound("Link", id);
  return link;
}

export async function listLinks(deps: AdminDeps, principal: Principal, filter: LinkFilter): Promise<Link[]> {
  const tenant = tenantFilter(principal, filter);
  return deps.store.links.list({
    limit: filter.limit,
    after: filter.after,
    programId: filter.programId,
    operatorId: tenant.operatorId,
    affiliateId: tenant.affiliateId,
  });
}

export async function updateLink(
  deps: AdminDeps,
  principal: Principal,
  id: number,
  input: UpdateLinkInput,
): Promise<Link> {
  allowRoles(principal, "admin");
  // Fields left undefined are not written; a null landing_url_template falls back to the program's.
  const updated = await deps.store.links.update(
    id,
    {
      status: input.status,
      landingUrlTemplate: input.landingUrlTemplate && checkLandingTemplate(input.landingUrlTemplate),
    },
    deps.clock.now(),
  );
  deps.catalog.invalidate();
  if (!updated) throw notFound("Link", id);
  return updated;
}
