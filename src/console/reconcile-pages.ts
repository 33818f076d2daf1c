/**
 * The reconciliation pages' routes (admin and operator keys, scoped like /v1/reconciliations):
 * the runs and the upload (multipart, streamed to the same use case as the API), one run with its
 * rows, a CSV per category, and the backfill (asked, confirmed, then run and shown).
 *
 * The upload is the console's only multipart form: @fastify/multipart is registered in its own
 * encapsulated context, so every other form keeps formbody's 16 KB limit. The CSRF token is the
 * form's first field; it is checked when the file part arrives, before a byte of the file is read.
 */
import { timingSafeEqual } from "node:crypto";
import { Readable } from "node:stream";
import multipart from "@fastify/multipart";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ComparisonThreads } from "../adapters/files/comparison-threads.ts";
import { FILE_FORMATS, type FileFormat } from "../adapters/files/event-file.ts";
import { MAX_FILE_BYTES, reconcileUpload } from "../adapters/files/reconcile-upload.ts";
import { attachmentNamed } from "../adapters/http/csv.ts";
import { reconciliationCsv } from "../adapters/http/reconciliation-csv.ts";
import type { AdminDeps } from "../app/admin/deps.ts";
import { getOperator, listOperators } from "../app/admin/operators.ts";
import { allowRoles } from "../app/admin/scope.ts";
import type { PostbackIngestor } from "../app/ingest/ingest-postback.ts";
import { backfillMissing } from "../app/reconcile/backfill-missing.ts";
import type { ReconciliationRun } from "../app/reconcile/reconciliation-port.ts";
import {
  getReconciliation,
  listBackfills,
  listReconciliations,
  reconciliationRows,
} from "../app/reconcile/reconciliation-reads.ts";
import { PostwireError } from "../domain/errors.ts";
import { RECONCILIATION_CATEGORIES, type ReconciliationCategory } from "../domain/reconciliation.ts";
import { type ConsoleKit, formOf, viewerWithRole } from "./console-kit.ts";
import type { FormError } from "./form-fields.ts";
import { formErrorOf, idField, oneOf, recordId, timeField } from "./form-values.ts";
import type { Viewer } from "./layout.ts";
import { backfillConfirmPage, defaultCategory, reconciliationPage } from "./pages/reconciliation.ts";
import { reconciliationsPage } from "./pages/reconciliations.ts";

export const RECONCILE_PAGE_PATHS: readonly string[] = [
  "/reconciliations",
  "/reconciliations/:id",
  "/reconciliations/:id/rows.csv",
  "/reconciliations/:id/backfill",
];

/** Runs listed; rows shown per page of a category. */
const LISTED = 100;
const ROWS_PER_PAGE = 50;

type Deps = AdminDeps & {
  readonly ingestor?: Pick<PostbackIngestor, "backfill"> | undefined;
  readonly comparisons?: ComparisonThreads | undefined;
};

/** The submitted token is the session's (constant time). */
function csrfIs(expected: string, given: string | undefined): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given ?? "");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** "their = ours" lines as the API's column renames. */
function columnsOf(text: string | undefined): Record<string, string> | undefined {
  const lines = (text ?? "")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (!lines.length) return undefined;
  const columns: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([^=]+?)\s*=\s*(\S+)$/.exec(line);
    if (!m)
      throw new PostwireError("invalid_field", `"${line}" is not: their column = our field.`, "columns");
    columns[m[1]!] = m[2]!;
  }
  return columns;
}

/** The upload's fields (all before the file) as the use case's request. */
function uploadRequest(viewer: Viewer, values: Record<string, string>) {
  const p = viewer.principal;
  const operatorId = p.role === "operator" ? (p.operatorId ?? 0) : idField(values, "operator_id");
  const format = oneOf<FileFormat>(FILE_FORMATS, values["format"], "format", "Choose CSV or JSON lines.");
  const columns = columnsOf(values["columns"]);
  return {
    operatorId,
    from: timeField(values, "from"),
    to: timeField(values, "to"),
    format,
    ...(columns ? { columns } : {}),
  };
}

/** Reads the rest of a part's stream into nothing. */
async function discard(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream);
}

export async function reconcilePages(app: FastifyInstance, deps: Deps, helpers: ConsoleKit): Promise<void> {
  const viewerOf = (request: FastifyRequest, reply: FastifyReply) =>
    viewerWithRole(helpers, request, reply, ["admin", "operator"]);

  async function listPage(
    viewer: Viewer,
    state: { values?: Record<string, string>; error?: FormError } = {},
  ) {
    const [runs, operators] = await Promise.all([
      listReconciliations(deps, viewer.principal, { limit: LISTED }),
      listOperators(deps, viewer.principal, { limit: 500 }),
    ]);
    return reconciliationsPage({ runs, operators }, viewer, state);
  }

  app.get("/reconciliations", async (request, reply) => {
    const viewer = await viewerOf(request, reply);
    if (!viewer) return reply;
    return helpers.sendPage(reply, await listPage(viewer));
  });

  await app.register(async (upload) => {
    await upload.register(multipart, {
      // One file, a few short fields before it; the file's own bound is the spool's (MAX_FILE_BYTES).
      limits: { files: 1, fields: 10, parts: 12, fieldSize: 16_384, fileSize: MAX_FILE_BYTES + 1 },
    });
    upload.post("/reconciliations", async (request, reply) => {
      const viewer = await helpers.viewerOf(request);
      if (!viewer) return reply.redirect("/sign-in", 303);
      allowRoles(viewer.principal, "admin", "operator");
      if (!request.isMultipart())
        throw new PostwireError("unsupported_media_type", "Send the upload form (multipart/form-data).");
      const values: Record<string, string> = {};
      let run: ReconciliationRun | undefined;
      let refused: FormError | undefined;
      for await (const part of request.parts()) {
        if (part.type === "field") {
          if (typeof part.value === "string") values[part.fieldname] = part.value;
          continue;
        }
        // The file: nothing of it is read unless the token that came before it is the session's.
        if (!csrfIs(viewer.csrf, values["csrf"])) throw new PostwireError("csrf_rejected");
        if (part.fieldname !== "file" || run || refused || !part.filename) {
          await discard(part.file);
          continue;
        }
        try {
          run = await reconcileUpload(deps, viewer.principal, {
            ...uploadRequest(viewer, values),
            body: part.file,
          });
        } catch (error) {
          refused = formErrorOf("upload", error);
          if (!refused) throw error;
          await discard(part.file);
        }
      }
      if (!csrfIs(viewer.csrf, values["csrf"])) throw new PostwireError("csrf_rejected");
      if (run) return reply.redirect(`/reconciliations/${run.id}`, 303);
      const error = refused ?? { form: "upload", field: "file", message: "Choose the file to compare." };
      const { csrf: _, ...kept } = values;
      return helpers.sendPage(reply, await listPage(viewer, { values: kept, error }), 400);
    });
  });

  app.get<{ Params: { id: string }; Querystring: { category?: string; after?: string; backfill?: string } }>(
    "/reconciliations/:id",
    async (request, reply) => {
      const viewer = await viewerOf(request, reply);
      if (!viewer) return reply;
      const run = await getReconciliation(deps, viewer.principal, request.params.id);
      const asked = request.query.category as ReconciliationCategory;
      const category = RECONCILIATION_CATEGORIES.includes(asked) ? asked : defaultCategory(run);
      const after = recordId(request.query.after);
      const rows = await reconciliationRows(deps, viewer.principal, run.id, {
        category,
        limit: ROWS_PER_PAGE,
        ...(after === undefined ? {} : { afterSeq: after }),
      });
      const operator = await getOperator(deps, viewer.principal, run.operatorId);
      return helpers.sendPage(
        reply,
        reconciliationPage(
          {
            run,
            operatorName: operator.name,
            category,
            rows,
            nextAfter: rows.length === ROWS_PER_PAGE ? rows.at(-1)!.seq : null,
            backfills: await listBackfills(deps, viewer.principal, run.id),
            justRun: request.query.backfill,
            canBackfill: deps.ingestor !== undefined,
          },
          viewer,
        ),
      );
    },
  );

  app.get<{ Params: { id: string }; Querystring: { category?: string } }>(
    "/reconciliations/:id/rows.csv",
    async (request, reply) => {
      const viewer = await viewerOf(request, reply);
      if (!viewer) return reply;
      const asked = request.query.category as ReconciliationCategory;
      const category = RECONCILIATION_CATEGORIES.includes(asked) ? asked : undefined;
      const { name, lines } = await reconciliationCsv(deps, viewer.principal, request.params.id, category);
      return reply
        .type("text/csv; charset=utf-8")
        .header("cache-control", "no-store")
        .header("content-disposition", attachmentNamed(name))
        .send(Readable.from(lines));
    },
  );

  const ingestor = deps.ingestor;
  if (!ingestor) return;
  app.post<{ Params: { id: string } }>("/reconciliations/:id/backfill", async (request, reply) => {
    const viewer = await viewerOf(request, reply);
    if (!viewer) return reply;
    const run = await getReconciliation(deps, viewer.principal, request.params.id);
    const form = formOf(request) as Record<string, string | string[] | undefined>;
    const all = form["all"] === "1";
    const txids = [form["txid"] ?? []].flat().filter((t) => t.length > 0 && t.length <= 128);
    if (!all && !txids.length)
      throw new PostwireError("missing_field", "Tick the rows to backfill, or backfill all of them.", "txid");
    if (form["confirm"] !== "1")
      return helpers.sendPage(reply, backfillConfirmPage(run, viewer, { all, txids }));
    const result = await backfillMissing(
      { store: deps.store, clock: deps.clock, ids: deps.ids, ingestor },
      viewer.principal,
      { id: run.id, ...(all ? {} : { txids }) },
    );
    return reply.redirect(`/reconciliations/${run.id}?category=missing&backfill=${result.backfillId}`, 303);
  });
}
