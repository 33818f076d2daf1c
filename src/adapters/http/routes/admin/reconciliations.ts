/**
 * /v1/reconciliations (docs/reconciliation.md): upload an operator's own list of events for a
 * period (CSV or JSON lines, streamed: the body is read row by row, never whole), read the runs,
 * page or download each category, and backfill the missing rows through the ingest pipeline.
 */
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply } from "fastify";
import Type from "typebox";
import type { BackfillDeps } from "../../../../app/reconcile/backfill-missing.ts";
import { operatorToReconcile } from "../../../../app/reconcile/reconcile-events.ts";
import type { ReconciliationRun, ResultRow } from "../../../../app/reconcile/reconciliation-port.ts";
import {
  getReconciliation,
  listReconciliations,
  reconciliationRows,
} from "../../../../app/reconcile/reconciliation-reads.ts";
import { PostwireError } from "../../../../domain/errors.ts";
import { COMPARED_FIELDS, RECONCILIATION_CATEGORIES } from "../../../../domain/reconciliation.ts";
import { FILE_FORMATS, type FileFormat } from "../../../files/event-file.ts";
import { reconcileUpload, type UploadDeps } from "../../../files/reconcile-upload.ts";
import { principalOf } from "../../api-auth.ts";
import { attachmentNamed } from "../../csv.ts";
import { idAfter, pageOf, timeBefore } from "../../cursor.ts";
import { reconciliationCsv } from "../../reconciliation-csv.ts";
import { typed } from "../../type-provider.ts";
import { backfillRoutes } from "./reconciliation-backfills.ts";
import { adminSchema, ID, iso, isoOrNull, LIMIT, listOf, Nullable, OneOf, Strict, TIME } from "./schemas.ts";

const TAGS = ["reconciliation"];
const FILE_TYPES = [
  "text/csv",
  "application/x-ndjson",
  "application/jsonl",
  "text/plain",
  "application/octet-stream",
];

const COUNTS = Type.Object(
  Object.fromEntries(RECONCILIATION_CATEGORIES.map((c) => [c, Type.Integer()])) as Record<
    (typeof RECONCILIATION_CATEGORIES)[number],
    ReturnType<typeof Type.Integer>
  >,
);
const RUN = Type.Object({
  id: Type.String(),
  operator_id: ID,
  from: TIME,
  to: TIME,
  format: OneOf(FILE_FORMATS),
  file_sha256: Type.String({ description: "SHA-256 (hex) of the file as uploaded." }),
  file_bytes: Type.Integer(),
  status: OneOf(["running", "done", "failed", "refused"] as const),
  error: Nullable(Type.String()),
  counts: COUNTS,
  summary: Type.Array(
    Type.Object({
      day: Type.String({ description: "UTC day of occurred_at." }),
      event: Type.String(),
      counts: COUNTS,
    }),
  ),
  created_by_key_id: Nullable(ID),
  created_at: TIME,
  finished_at: Nullable(TIME),
});
const DIFFERENCE = Type.Object({
  field: OneOf(COMPARED_FIELDS),
  file: Nullable(Type.String()),
  received: Nullable(Type.String()),
});
const ROW = Type.Object({
  seq: Type.Integer(),
  category: OneOf(RECONCILIATION_CATEGORIES),
  line: Nullable(
    Type.Integer({ description: "The file's line (the CSV header is line 1); null for extras." }),
  ),
  txid: Nullable(Type.String()),
  event: Nullable(Type.String()),
  occurred_at: Nullable(TIME),
  differences: Nullable(Type.Array(DIFFERENCE)),
  error: Nullable(Type.String()),
  conversion_id: Nullable(Type.String()),
  backfill_code: Nullable(
    Type.String({ description: "How this row's backfill was answered; null: not run." }),
  ),
});

const runJson = (r: ReconciliationRun) => ({
  id: r.id,
  operator_id: r.operatorId,
  from: iso(r.from),
  to: iso(r.to),
  format: r.format,
  file_sha256: r.fileSha256,
  file_bytes: r.fileBytes,
  status: r.status,
  error: r.error,
  counts: r.counts,
  summary: r.summary.map((s) => ({ day: s.day, event: s.event, counts: s.counts })),
  created_by_key_id: r.createdByKeyId,
  created_at: iso(r.createdAt),
  finished_at: isoOrNull(r.finishedAt),
});

const rowJson = (r: ResultRow) => ({
  seq: r.seq,
  category: r.category,
  line: r.line,
  txid: r.txid,
  event: r.event,
  occurred_at: isoOrNull(r.occurredAt),
  differences: r.differences ? [...r.differences] : null,
  error: r.error,
  conversion_id: r.conversionId,
  backfill_code: r.backfillCode,
});

const UPLOAD_QUERY = Strict({
  operator_id: Type.Optional(ID),
  from: Type.String({ format: "date-time", description: "Start of the period of occurred_at (inclusive)." }),
  to: Type.String({ format: "date-time", description: "End of the period (exclusive)." }),
  format: Type.Optional(
    OneOf(FILE_FORMATS, { description: "Default: from Content-Type (CSV unless JSON lines)." }),
  ),
  columns: Type.Optional(
    Type.String({
      maxLength: 8192,
      description:
        'Column renames as JSON ({"their_name": "txid"}), over the operator\'s own parameter mapping.',
    }),
  ),
});

function columnsOf(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PostwireError("validation_failed", "columns must be a JSON object of names.", "columns");
  }
  if (
    !value ||
    typeof value !== "object" ||
    Array.isArray(value) ||
    Object.values(value).some((v) => typeof v !== "string")
  )
    throw new PostwireError("validation_failed", "columns must map names to contract fields.", "columns");
  return value as Record<string, string>;
}

const formatOf = (given: FileFormat | undefined, contentType: string | undefined): FileFormat =>
  given ?? (/ndjson|jsonl/.test(contentType ?? "") ? "jsonl" : "csv");

export async function reconciliationRoutes(
  app: FastifyInstance,
  deps: UploadDeps & Pick<BackfillDeps, "ingestor">,
): Promise<void> {
  // The file is the body: handed over as the stream it is (read row by row, never buffered), so
  // the service's small body limit does not apply; readEventFile stops at MAX_FILE_BYTES.
  app.addContentTypeParser(FILE_TYPES, (_request, payload, done) => done(null, payload));

  const upload = adminSchema({
    summary: "Reconcile a period: upload the operator's own list of events (CSV or JSON lines)",
    description:
      "The body is the file (Content-Type text/csv or application/x-ndjson), streamed. Each row is validated as a postback; a refused row is reported with its line. A file that is not UTF-8 is refused (invalid_encoding).",
    tags: TAGS,
    querystring: UPLOAD_QUERY,
    // Documents the file; the empty schemas admit the stream the parser hands over (never a string).
    body: {
      content: {
        "text/csv": {
          schema: Type.Unknown({ description: "RFC 4180 CSV, UTF-8, a header row of parameter names." }),
        },
        "application/x-ndjson": {
          schema: Type.Unknown({ description: "JSON lines: one object of parameters per line, UTF-8." }),
        },
      },
    },
    response: { 201: RUN },
  });
  typed(app).post("/reconciliations", { schema: upload }, async (request, reply) => {
    const principal = principalOf(request);
    const operatorId = request.query.operator_id ?? principal.operatorId;
    if (operatorId === null)
      throw new PostwireError("missing_field", "operator_id is required with an admin key.", "operator_id");
    const body = request.body as unknown;
    if (!body || typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== "function")
      throw new PostwireError("unsupported_media_type", `Send the file as one of: ${FILE_TYPES.join(", ")}.`);
    const format = formatOf(request.query.format, request.headers["content-type"]);
    const columns = columnsOf(request.query.columns);
    // Refused before a byte is stored when the key may not reconcile this operator.
    await operatorToReconcile(deps, principal, operatorId);
    const run = await reconcileUpload(deps, principal, {
      operatorId,
      from: Date.parse(request.query.from),
      to: Date.parse(request.query.to),
      format,
      ...(columns ? { columns } : {}),
      body: body as AsyncIterable<Uint8Array>,
    });
    return reply.status(201).send(runJson(run));
  });

  const list = adminSchema({
    summary: "Reconciliation runs, newest first (an operator key sees its own)",
    tags: TAGS,
    querystring: Strict({
      operator_id: Type.Optional(ID),
      limit: LIMIT,
      cursor: Type.Optional(Type.String()),
    }),
    response: { 200: listOf(RUN) },
  });
  typed(app).get("/reconciliations", { schema: list }, async (request) => {
    const { operator_id, limit, cursor } = request.query;
    const before = timeBefore(cursor);
    const runs = await listReconciliations(deps, principalOf(request), {
      limit,
      ...(operator_id === undefined ? {} : { operatorId: operator_id }),
      ...(before ? { before } : {}),
    });
    return pageOf(runs, limit, runJson, (r) => [r.createdAt, r.id]);
  });

  const params = Strict({ id: Type.String({ minLength: 1, maxLength: 64 }) });
  const one = adminSchema({ summary: "One reconciliation run", tags: TAGS, params, response: { 200: RUN } });
  typed(app).get("/reconciliations/:id", { schema: one }, async (request) =>
    runJson(await getReconciliation(deps, principalOf(request), request.params.id)),
  );

  const category = Type.Optional(OneOf(RECONCILIATION_CATEGORIES));
  const rows = adminSchema({
    summary: "A run's rows in file order, of one category if asked",
    tags: TAGS,
    params,
    querystring: Strict({ category, limit: LIMIT, cursor: Type.Optional(Type.String()) }),
    response: { 200: listOf(ROW) },
  });
  typed(app).get("/reconciliations/:id/rows", { schema: rows }, async (request) => {
    const { limit, cursor } = request.query;
    const after = idAfter(cursor);
    const page = await reconciliationRows(deps, principalOf(request), request.params.id, {
      limit,
      ...(request.query.category ? { category: request.query.category } : {}),
      ...(after === undefined ? {} : { afterSeq: after }),
    });
    return pageOf(page, limit, rowJson, (r) => [r.seq]);
  });

  const csv = adminSchema({
    summary: "A run's rows as CSV, of one category if asked",
    tags: TAGS,
    params,
    querystring: Strict({ category }),
    response: {
      200: {
        description: "RFC 4180 CSV, a header line first.",
        content: { "text/csv": { schema: Type.String() } },
      },
    },
  });
  typed(app).get("/reconciliations/:id/rows.csv", { schema: csv }, async (request, reply) => {
    const which = request.query.category;
    const { name, lines } = await reconciliationCsv(deps, principalOf(request), request.params.id, which);
    return (reply as FastifyReply)
      .type("text/csv; charset=utf-8")
      .header("content-disposition", attachmentNamed(name))
      .send(Readable.from(lines));
  });

  await backfillRoutes(app, deps, params);
}
