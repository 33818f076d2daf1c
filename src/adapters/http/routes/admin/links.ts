/** /v1/links: tracking links with their ready tracking URL. */
import type { FastifyInstance } from "fastify";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { createLink, getLink, type LinkFilter, listLinks, updateLink } from "../../../../app/admin/links.ts";
import { LANDING_MACROS } from "../../../../app/record-click.ts";
import { LINK_STATUSES, type Link, type LinkStatus } from "../../../../domain/model.ts";
import { principalOf } from "../../api-auth.ts";
import {
  adminSchema,
  ID,
  idParams,
  iso,
  nullable,
  object,
  PAGE,
  page,
  pageOf,
  record,
  TIME,
} from "./schemas.ts";

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

interface LinkQuery {
  limit?: number;
  after?: number;
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

const linkWire = (publicUrl: string) => (l: Link) => ({
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

function write(app: FastifyInstance, deps: AdminDeps): void {
  const wire = linkWire(deps.publicUrl);
  const create = adminSchema({
    summary: "Create a tracking link",
    tags: TAGS,
    body: CREATE_BODY,
    response: { 201: LINK },
  });
  app.post<{ Body: LinkBody }>("/links", { schema: create }, async (request, reply) => {
    const b = request.body;
    const link = await createLink(deps, principalOf(request), {
      affiliateId: b.affiliate_id,
      programId: b.program_id,
      code: b.code,
      status: b.status,
      landingUrlTemplate: b.landing_url_template,
    });
    return reply.status(201).send(wire(link));
  });
  const update = adminSchema({
    summary: "Pause, resume or re-target a link",
    tags: TAGS,
    params: idParams,
    body: { ...object({ status: STATUS, landing_url_template: LANDING }), minProperties: 1 },
    response: { 200: LINK },
  });
  app.patch<{ Params: { id: number }; Body: Partial<LinkBody> }>(
    "/links/:id",
    { schema: update },
    async (request) => {
      const { status, landing_url_template } = request.body;
      const link = await updateLink(deps, principalOf(request), request.params.id, {
        status,
        landingUrlTemplate: landing_url_template,
      });
      return wire(link);
    },
  );
}

function read(app: FastifyInstance, deps: AdminDeps): void {
  const wire = linkWire(deps.publicUrl);
  const list = adminSchema({
    summary: "List links (operator key: its programs' links; affiliate key: its own)",
    tags: TAGS,
    querystring: object({ ...PAGE, affiliate_id: ID, program_id: ID, operator_id: ID }),
    response: { 200: pageOf(LINK) },
  });
  app.get<{ Querystring: LinkQuery }>("/links", { schema: list }, async (request) => {
    const q = request.query;
    const filter: LinkFilter = {
      limit: q.limit,
      after: q.after,
      affiliateId: q.affiliate_id,
      programId: q.program_id,
      operatorId: q.operator_id,
    };
    return page(await listLinks(deps, principalOf(request), filter), q.limit, wire);
  });
  const one = adminSchema({ summary: "Get a link", tags: TAGS, params: idParams, response: { 200: LINK } });
  app.get<{ Params: { id: number } }>("/links/:id", { schema: one }, async (request) =>
    wire(await getLink(deps, principalOf(request), request.params.id)),
  );
}

export async function linkRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  write(app, deps);
  read(app, deps);
}
