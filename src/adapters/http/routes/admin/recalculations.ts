/**
 * /v1/programs/:id/recalculations: credit the conversions a program received while no plan was in
 * force, or decide again those decided under another plan version (docs/commissions.md
 * "Recalculation"); `…/preview` shows exactly what applying writes.
 */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { CommissionDeps } from "../../../../app/commissions/commission-deps.ts";
import {
  listRecalculations,
  type RecalculationDeps,
  type RecalculationResult,
  recalculateCommissions,
} from "../../../../app/commissions/recalculate-commissions.ts";
import { RECALCULATION_MODES, type Recalculation } from "../../../../app/commissions/recalculation-port.ts";
import { principalOf } from "../../api-auth.ts";
import { wholeList } from "../../cursor.ts";
import { typed } from "../../type-provider.ts";
import { ENTRY, entryJson } from "./commissions-json.ts";
import { adminSchema, ID, idParams, iso, listOf, msOf, Nullable, OneOf, Strict, TIME } from "./schemas.ts";

const TAGS = ["commissions"];
/** Entries listed in an answer (a run may write tens of thousands; `entries` counts them). */
const SHOWN_ENTRIES = 1000;

const MODE = OneOf(RECALCULATION_MODES, {
  default: "unearned",
  description:
    "`unearned`: only conversions with no ledger entry at all. `replan`: those, and every conversion whose commissions were decided under another plan or deal version than the one now in force at its time (what remains of its entries is compensated, then it is decided again).",
});

const BODY = Strict({
  from: Type.String({ format: "date-time", description: "Start of the range of occurred_at (inclusive)." }),
  to: Type.String({ format: "date-time", description: "End of the range of occurred_at (exclusive)." }),
  include_paid_periods: Type.Optional(
    Type.Boolean({
      default: false,
      description:
        "Also credit conversions in months already paid out to their affiliate (counted in skipped_paid otherwise).",
    }),
  ),
  mode: Type.Optional(MODE),
});

const TOTALS = Type.Record(Type.String(), Type.Record(Type.String(), Type.Integer()), {
  description: "Minor units written, per currency and entry status.",
});

const RUN_PROPERTIES = {
  program_id: ID,
  from: TIME,
  to: TIME,
  include_paid_periods: Type.Boolean(),
  mode: MODE,
  conversions: Type.Integer({ description: "Conversions that got entries." }),
  replaced: Type.Integer({
    description:
      "Conversions decided under another version whose entries were compensated and decided again (`replan`).",
  }),
  entries: Type.Integer(),
  skipped_paid: Type.Integer({ description: "Conversions left alone: their month is paid." }),
  totals: TOTALS,
  created_by_key_id: Nullable(ID),
  created_at: TIME,
};

const RUN = Type.Object({ id: Type.String(), ...RUN_PROPERTIES });
const RESULT = Type.Object({
  id: Nullable(Type.String({ description: "The run's id; null for a preview (nothing was stored)." })),
  ...RUN_PROPERTIES,
  preview: Type.Boolean(),
  messages: Type.Integer({ description: "Outbound `adjusted` messages queued (or that would be)." }),
  written: Type.Array(ENTRY, {
    description: `The ledger entries written (or that applying would write): the first ${SHOWN_ENTRIES}; \`entries\` counts them all.`,
  }),
});

const runJson = (r: Recalculation) => ({
  id: r.id,
  program_id: r.programId,
  from: iso(r.from),
  to: iso(r.to),
  include_paid_periods: r.includePaidPeriods,
  mode: r.mode,
  conversions: r.conversions,
  replaced: r.replaced,
  entries: r.entries,
  skipped_paid: r.skippedPaid,
  totals: r.totals,
  created_by_key_id: r.createdByKeyId,
  created_at: iso(r.createdAt),
});

const resultJson = (r: RecalculationResult) => ({
  ...runJson(r),
  id: r.preview ? null : r.id,
  preview: r.preview,
  messages: r.messages,
  written: r.written.slice(0, SHOWN_ENTRIES).map(entryJson),
});

export async function recalculationRoutes(
  app: FastifyInstance,
  deps: Omit<RecalculationDeps, "commissions"> & { readonly commissions: CommissionDeps },
): Promise<void> {
  const run = (preview: boolean) =>
    adminSchema({
      summary: preview
        ? "Preview a recalculation: what applying would write and send (nothing is stored)"
        : "Credit the conversions of a range received while no plan (or another plan version) was in force (admin)",
      tags: TAGS,
      params: idParams,
      body: BODY,
      response: { [preview ? 200 : 201]: RESULT },
    });
  for (const preview of [true, false]) {
    const path = preview ? "/programs/:id/recalculations/preview" : "/programs/:id/recalculations";
    typed(app).post(path, { schema: run(preview) }, async (request, reply) => {
      const result = await recalculateCommissions(deps, principalOf(request), {
        programId: request.params.id,
        from: msOf(request.body.from)!,
        to: msOf(request.body.to)!,
        includePaidPeriods: request.body.include_paid_periods ?? false,
        mode: request.body.mode ?? "unearned",
        preview,
      });
      return reply.status(preview ? 200 : 201).send(resultJson(result));
    });
  }
  const all = adminSchema({
    summary: "A program's recalculations, newest first",
    tags: TAGS,
    params: idParams,
    response: { 200: listOf(RUN) },
  });
  typed(app).get("/programs/:id/recalculations", { schema: all }, async (request) =>
    wholeList(await listRecalculations(deps, principalOf(request), request.params.id), runJson),
  );
}
