/**
 * The console's request-log and failure routes: the explorer (`/requests`, its CSV), one entry
 * (`/requests/{id}`), a program's failures (`/programs/{id}/failures`) and the replay forms
 * (`POST /deliveries/{id}/replay`, `POST /endpoints/{id}/replay-dead`). Signed-in pages only;
 * affiliate keys, which may not read the request log, and anyone outside a record's tenant get a
 * 404 page. Replays run the API's own use cases, then redirect back with a one-time message.
 */
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { attachmentNamed } from "../adapters/http/csv.ts";
import { requestLogCsv } from "../adapters/http/routes/admin/request-log.ts";
import type { AdminDeps } from "../app/admin/deps.ts";
import { replayDelivery, replayRange } from "../app/delivery/deliveries.ts";
import { PostwireError } from "../domain/errors.ts";
import { type ConsoleKit, type Form, formOf } from "./console-kit.ts";
import { pathId } from "./form-values.ts";
import type { Viewer } from "./layout.ts";
import { programFailuresPage } from "./pages/program-failures.ts";
import { requestDetailPage } from "./pages/request-detail.ts";
import { type ExplorerQuery, parseExplorerQuery, requestsPage } from "./pages/requests.ts";
import { formatTime } from "./time-zones.ts";
import { epochOfLocal } from "./zoned-time.ts";

export type { ConsoleKit } from "./console-kit.ts";

/** The one-time message after a replay: set before the redirect, shown and cleared by the next page. */
export const FLASH_COOKIE = "pw_flash";
export const REQUEST_PATHS = [
  "/requests",
  "/requests.csv",
  "/requests/:id",
  "/programs/:id/failures",
  "/deliveries/:id/replay",
  "/endpoints/:id/replay-dead",
];

/** Pages these roles may not use answer as if they did not exist. */
const hidden = (what: string) => new PostwireError("not_found", `${what} was not found.`);

/** A tenant's refusal (403 for the role) shown as not found, like a record of another tenant. */
async function asNotFound<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PostwireError && error.code === "forbidden") throw hidden(what);
    throw error;
  }
}

export async function requestRoutes(app: FastifyInstance, deps: AdminDeps, kit: ConsoleKit): Promise<void> {
  async function signedIn(request: FastifyRequest, reply: FastifyReply): Promise<Viewer | undefined> {
    const viewer = await kit.viewerOf(request);
    if (!viewer) reply.redirect("/sign-in", 303);
    else if (viewer.principal.role === "affiliate") throw hidden("This page");
    return viewer;
  }

  function takeFlash(request: FastifyRequest, reply: FastifyReply): string | undefined {
    const flash = request.cookies[FLASH_COOKIE];
    if (flash === undefined) return undefined;
    reply.clearCookie(FLASH_COOKIE, kit.cookieOptions);
    return flash.slice(0, 300);
  }

  function backWith(reply: FastifyReply, form: Form, message: string) {
    reply.setCookie(FLASH_COOKIE, message, { ...kit.cookieOptions, maxAge: 60 });
    return reply.redirect(kit.returnPath(form["return_to"]), 303);
  }

  app.get("/requests", async (request, reply) => {
    const viewer = await signedIn(request, reply);
    if (!viewer) return reply;
    return kit.sendPage(reply, await requestsPage(deps, viewer, request.query as ExplorerQuery));
  });

  app.get("/requests.csv", async (request, reply) => {
    const viewer = await signedIn(request, reply);
    if (!viewer) return reply;
    const { filter, problems } = parseExplorerQuery(request.query as ExplorerQuery, viewer.timeZone);
    if (problems.length) throw new PostwireError("invalid_request", problems.join(" "));
    const lines = requestLogCsv(deps, viewer.principal, filter);
    const first = await lines.next();
    async function* all() {
      if (!first.done) yield first.value;
      yield* lines;
    }
    return reply
      .type("text/csv; charset=utf-8")
      .header("cache-control", "no-store")
      .header("content-disposition", attachmentNamed("request-log.csv"))
      .send(Readable.from(all()));
  });

  app.get("/requests/:id", async (request, reply) => {
    const viewer = await signedIn(request, reply);
    if (!viewer) return reply;
    const { id } = request.params as { id: string };
    return kit.sendPage(reply, await requestDetailPage(deps, viewer, id.slice(0, 64)));
  });

  app.get("/programs/:id/failures", async (request, reply) => {
    const viewer = await signedIn(request, reply);
    if (!viewer) return reply;
    const id = pathId((request.params as { id: string }).id);
    return kit.sendPage(reply, await programFailuresPage(deps, viewer, id, takeFlash(request, reply)));
  });

  app.post("/deliveries/:id/replay", async (request, reply) => {
    const viewer = await kit.formViewer(request, reply);
    if (!viewer) return reply;
    const { id } = request.params as { id: string };
    const replayed = await asNotFound(`Delivery ${id}`, () =>
      replayDelivery(deps, viewer.principal, id.slice(0, 64)),
    );
    const at = formatTime(replayed.runAt, viewer.timeZone);
    return backWith(
      reply,
      formOf(request),
      `Delivery ${replayed.id} replayed: now ${replayed.state}, next attempt ${at}.`,
    );
  });

  app.post("/endpoints/:id/replay-dead", async (request, reply) => {
    const viewer = await kit.formViewer(request, reply);
    if (!viewer) return reply;
    const endpointId = pathId((request.params as { id: string }).id);
    const form = formOf(request);
    const since = epochOfLocal(form["since"] ?? "", viewer.timeZone);
    const until = epochOfLocal(form["until"] ?? "", viewer.timeZone);
    if (since === undefined || until === undefined)
      throw new PostwireError("invalid_field", "Give the range as two dates and times.");
    const count = await asNotFound(`Endpoint ${endpointId}`, () =>
      replayRange(deps, viewer.principal, { endpointId, since, until }),
    );
    return backWith(
      reply,
      form,
      `${count} dead ${count === 1 ? "delivery" : "deliveries"} of endpoint ${endpointId} replayed.`,
    );
  });
}
