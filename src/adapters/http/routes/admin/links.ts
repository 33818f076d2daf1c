/** /v1/links: tracking links with their ready tracking URL. */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { createLink, getLink, listLinks, updateLink } from "../../../../app/admin/links.ts";
import { LANDING_MACROS } from "../../../../app/clicks/record-click.ts";
import { LINK_STATUSES, type Link } from "../../../../domain/model.ts";
import { resourceRoutes } from "./resource-routes.ts";
import { ID, iso, Nullable, OneOf, Strict, TIME } from "./schemas.ts";

const TAGS = ["links"];
const STATUS = OneOf(LINK_STATUSES);
const LANDING = Nullable(Type.String({ minLength: 1, maxLength: 2000 }), {
  description: `Replaces the program's landing URL for this link; macros: ${LANDING_MACROS.map((m) => `{${m}}`).join(" ")}.`,
});

export const LINK = Type.Object({
  id: ID,
  code: Type.String(),
  tracking_url: Type.String({ description: "Send visitors here: /c/{code}, sub1…sub5 allowed." }),
  affiliate_id: ID,
  program_id: ID,
  status: STATUS,
  landing_url_template: Nullable(Type.String()),
  created_at: TIME,
  updated_at: TIME,
});

const CREATE_BODY = Strict({
  affiliate_id: ID,
  program_id: ID,
  code: Type.Optional(
    Type.String({ pattern: "^[A-Za-z0-9_-]{3,64}$", description: "Omit for 10 random URL-safe characters." }),
  ),
  status: Type.Optional(STATUS),
  landing_url_template: Type.Optional(LANDING),
});

const UPDATE_BODY = Strict(
  { status: Type.Optional(STATUS), landing_url_template: Type.Optional(LANDING) },
  { minProperties: 1 },
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
  const toJson = linkJson(deps.publicUrl);
  const links = resourceRoutes(app, { path: "/links", tags: TAGS, item: LINK, toJson });
  links.create({
    summary: "Create a tracking link",
    body: CREATE_BODY,
    run: (principal, b) =>
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
    body: UPDATE_BODY,
    run: (principal, id, { status, landing_url_template }) =>
      updateLink(deps, principal, id, { status, landingUrlTemplate: landing_url_template }),
  });
  links.list({
    summary: "List links (operator key: its programs' links; affiliate key: its own)",
    filters: {
      affiliate_id: Type.Optional(ID),
      program_id: Type.Optional(ID),
      operator_id: Type.Optional(ID),
    },
    load: (principal, page, q) =>
      listLinks(deps, principal, {
        ...page,
        affiliateId: q.affiliate_id,
        programId: q.program_id,
        operatorId: q.operator_id,
      }),
  });
  links.get({ summary: "Get a link", load: (principal, id) => getLink(deps, principal, id) });
}
