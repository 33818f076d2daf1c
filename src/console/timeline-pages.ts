/**
 * The conversion timeline's routes: GET /conversions/:id, GET /search?q=, and the replay of one
 * of the conversion's outbound postbacks (a CSRF-checked form POST, then back to the timeline).
 */
import type { FastifyInstance } from "fastify";
import { conversionTimeline, searchTimeline } from "../app/admin/conversion-timeline.ts";
import type { AdminDeps } from "../app/admin/deps.ts";
import { replayDelivery } from "../app/delivery/deliveries.ts";
import type { ConsoleKit } from "./console-kit.ts";
import { conversionPage, searchPage } from "./pages/conversion.ts";

export const TIMELINE_PAGE_PATHS: readonly string[] = [
  "/conversions/:id",
  "/search",
  "/conversions/:id/deliveries/:deliveryId/replay",
];

/** Flash messages a redirect may carry (by code, so nothing from the URL is shown as such). */
const FLASHES: Readonly<Record<string, string>> = {
  replayed: "The postback was queued to be sent again now.",
};

export async function timelinePages(
  app: FastifyInstance,
  deps: AdminDeps,
  helpers: ConsoleKit,
): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: { done?: string } }>(
    "/conversions/:id",
    async (request, reply) => {
      const viewer = await helpers.viewerOf(request);
      if (!viewer) return reply.redirect("/sign-in", 303);
      const timeline = await conversionTimeline(deps, viewer.principal, request.params.id);
      const flash = request.query.done ? FLASHES[request.query.done] : undefined;
      return helpers.sendPage(reply, conversionPage(timeline, viewer, flash));
    },
  );

  app.get<{ Querystring: { q?: string } }>("/search", async (request, reply) => {
    const viewer = await helpers.viewerOf(request);
    if (!viewer) return reply.redirect("/sign-in", 303);
    const query = typeof request.query.q === "string" ? request.query.q : "";
    const result = await searchTimeline(deps, viewer.principal, query);
    // One match: straight to its timeline.
    if (result.conversions.length === 1 && !result.click)
      return reply.redirect(`/conversions/${encodeURIComponent(result.conversions[0]!.id)}`, 303);
    return helpers.sendPage(reply, searchPage(query, result, viewer));
  });

  app.post<{ Params: { id: string; deliveryId: string } }>(
    "/conversions/:id/deliveries/:deliveryId/replay",
    async (request, reply) => {
      const viewer = await helpers.formViewer(request, reply);
      if (!viewer) return reply;
      await replayDelivery(deps, viewer.principal, request.params.deliveryId);
      return reply.redirect(`/conversions/${encodeURIComponent(request.params.id)}?done=replayed`, 303);
    },
  );
}
