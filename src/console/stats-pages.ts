/**
 * The console's stats pages: the program dashboard (`/programs/{id}`), reports (`/reports`, and
 * `/reports.csv` for exactly the table shown) and uPlot served from node_modules under
 * `/assets/uplot/` (no CDN: the console works offline).
 */
import { createRequire } from "node:module";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { attachmentNamed } from "../adapters/http/csv.ts";
import { reportCsv, reportFileName } from "../adapters/http/report-table.ts";
import type { AdminDeps } from "../app/admin/deps.ts";
import type { ConsoleKit } from "./console-kit.ts";
import { recordId } from "./form-values.ts";
import { programPage, rangeOf } from "./pages/program.ts";
import { loadReport, type ReportQuery, reportsPage } from "./pages/reports.ts";

export const STATS_PAGE_PATHS: readonly string[] = [
  "/programs/:id",
  "/reports",
  "/reports.csv",
  "/assets/uplot/*",
];

/** The folder of uPlot's built files (uPlot.iife.min.js, uPlot.min.css). */
const UPLOT_DIST = path.dirname(createRequire(import.meta.url).resolve("uplot"));

export async function statsPages(app: FastifyInstance, deps: AdminDeps, helpers: ConsoleKit): Promise<void> {
  await app.register(fastifyStatic, {
    root: UPLOT_DIST,
    prefix: "/assets/uplot/",
    maxAge: "1h",
    schemaHide: true,
    decorateReply: false,
    allowedPath: (file) => file === "/uPlot.iife.min.js" || file === "/uPlot.min.css",
  });

  app.get<{ Params: { id: string }; Querystring: { range?: string } }>(
    "/programs/:id",
    async (request, reply) => {
      const viewer = await helpers.viewerOf(request);
      if (!viewer) return reply.redirect("/sign-in", 303);
      // A malformed id is a program that does not exist.
      const programId = recordId(request.params.id) ?? 0;
      return helpers.sendPage(
        reply,
        await programPage(deps, viewer, programId, rangeOf(request.query.range)),
      );
    },
  );

  app.get<{ Querystring: ReportQuery }>("/reports", async (request, reply) => {
    const viewer = await helpers.viewerOf(request);
    if (!viewer) return reply.redirect("/sign-in", 303);
    return helpers.sendPage(reply, await reportsPage(deps, viewer, request.query));
  });

  app.get<{ Querystring: ReportQuery }>("/reports.csv", async (request, reply) => {
    const viewer = await helpers.viewerOf(request);
    if (!viewer) return reply.redirect("/sign-in", 303);
    const report = await loadReport(deps, viewer, request.query);
    return reply
      .type("text/csv; charset=utf-8")
      .header("cache-control", "no-store")
      .header("content-disposition", attachmentNamed(reportFileName(report)))
      .send(reportCsv(report));
  });
}
