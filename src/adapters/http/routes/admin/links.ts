/** /v1/links: tracking links with their ready tracking URL. */
import type { FastifyInstance } from "fastify";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { createLink, getLink, type LinkFilter, listLinks, updateLink } from "../../../../app/admin/links.ts";
import { LANDING_MACROS } from "../../../../app/record-click.ts";
import { LINK_STATUSES, type Link, type LinkStatus } from "../../../../domain/model.ts";
import { type PageQuery, resourceRoutes } from "./resource-routes.ts";
import { ID, iso, nullable, object, record, TIME } from "./schemas.ts";

const TAGS = ["links"];
const STATUS = { type: "string", enum: [...LINK_STATUSES] };
const LANDING = nullable({
  type: "string",
  minLength: 1,
  maxLength: 2000,
  description: `Replaces the program's landing URL for this link; macros: ${LANDING_MACROS.map((m) => `{${m}}`).join(" ")}.`,
});

export const LINK = record({
  id: ID,
  code: { type: "string" },
  tracking_url: { type: "string", description: "Send visitors here: /c/{code}, sub1…sub5 allowed." },
  affiliate_id: ID,
  program_id: ID,
  status: STATUS,
  landing_url_template: nullable({ type: "string" }),
  created_at: TIME,
  updated_at: TIME,
});

interface LinkBody {
  affiliate_id: number;
  program_id: number;
  code?: string;
  status?: LinkStatus;
  landing_url_template?: string | null;
}

interface LinkQuery extends PageQuery {
  affiliate_id?: number;
  program_id?: number;
  operator_id?: number;
}

const CREATE_BODY = object(
  {
    affiliate_id: ID,
    program_id: ID,
    code: {
      type: "string",
      pattern: "^[A-Za-z0-9_-]{3,64}$",
      description: "Omit for 10 random URL-safe characters.",
    },
    status: STATUS,
    landing_url_template: LANDING,
  },
  ["affiliate_id", "program_id"],
);

const linkJson = (publicUrl: string) => (l: Link) => ({
  id: l.id,
  code: l.code,
  tracking_url: `${publicUrl}/c/${encodeURIComponent(l.code)}`,
  affiliate_id: l.affiliateId,
  program_id: l.programId,
  status: l.status,
  landing_url_template: l.landingUrlTemplate,
  created_at: iso(l.createdAt),
  updated_at: iso(l.updatedAt),
});

export async function linkRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const wire = linkJson(deps.publicUrl);
  const links = resourceRoutes(app, { path: "/links", tags: TAGS, item: LINK, wire });
  links.create({
    summary: "Create a tracking link",
    body: CREATE_BODY,
    run: (principal, b: LinkBody) =>
      createLink(deps, principal, {
        affiliateId: b.affiliate_id,
        programId: b.program_id,
        code: b.code,
        status: b.status,
        landingUrlTemplate: b.landing_url_template,
      }),
  });
  links.update({
    summary: "Pause, resume or re-target a link",
    body: { ...object({ status: STATUS, landing_url_template: LANDING }), minProperties: 1 },
    run: (principal, id, { status, landing_url_template }: Partial<LinkBody>) =>
      updateLink(deps, principal, id, { status, landingUrlTemplate: landing_url_template }),
  });
  links.list({
    summary: "List links (operator key: its programs' links; affiliate key: its own)",
    filters: { affiliate_id: ID, program_id: ID, operator_id: ID },
    load: (principal, page, q: LinkQuery) => {
      const filter: LinkFilter = {
        ...page,
        affiliateId: q.affiliate_id,
        programId: q.program_id,
        operatorId: q.operator_id,
      };
      return listLinks(deps, principal, filter);
    },
  });
  links.get({ summary: "Get a link", load: (principal, id) => getLink(deps, principal, id) });
}
