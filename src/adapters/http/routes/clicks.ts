/** GET /c/{link_code}: record the click, 302 to the landing URL (DESIGN §1). */
import type { FastifyInstance } from "fastify";
import type { ClickRecorder } from "../../../app/record-click.ts";

const NOT_FOUND_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Link not found</title></head>
<body><h1>Link not found</h1><p>This tracking link does not exist or is no longer active.</p></body></html>`;

export async function clickRoutes(
  app: FastifyInstance,
  deps: { readonly clicks: ClickRecorder },
): Promise<void> {
  app.get<{ Params: { code: string } }>("/c/:code", async (request, reply) => {
    const q = request.url.indexOf("?");
    const answer = await deps.clicks.record({
      code: request.params.code,
      query: new URLSearchParams(q === -1 ? "" : request.url.slice(q + 1)),
      remoteAddress: request.socket.remoteAddress ?? "",
      forwardedFor: request.headers["x-forwarded-for"],
      userAgent: request.headers["user-agent"],
      referer: request.headers.referer,
    });
    reply.header("cache-control", "no-store");
    if (answer.kind === "redirect") return reply.redirect(answer.location, 302);
    if (answer.kind === "unavailable") {
      return reply
        .status(503)
        .header("retry-after", String(answer.retryAfter))
        .type("text/plain")
        .send("Temporarily unavailable");
    }
    return reply.status(404).type("text/html; charset=utf-8").send(NOT_FOUND_PAGE);
  });
}
