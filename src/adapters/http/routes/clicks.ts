/** GET /c/{link_code}: record the click, 302 to the landing URL (DESIGN §1). */
import type { FastifyInstance } from "fastify";
import type { ClickRecorder } from "../../../app/record-click.ts";

const NOT_FOUND_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Link not found</title></head>
<body><h1>Link not found</h1><p>This tracking link does not exist or is no longer active.</p></body></html>`;

const UNAVAILABLE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Try again</title></head>
<body><h1>Temporarily unavailable</h1><p>Please try again in a moment.</p></body></html>`;

/**
 * A Location header value: the URL in its serialised WHATWG form, so a template holding non-ASCII
 * text (an IDN host, "ü" in a path) is percent-/punycode-encoded instead of making Node refuse
 * the header with a 500.
 */
export function locationHeader(location: string): string {
  return URL.parse(location)?.href ?? encodeURI(location);
}

export async function clickRoutes(
  app: FastifyInstance,
  deps: { readonly clicks: ClickRecorder },
): Promise<void> {
  app.route<{ Params: { code: string } }>({
    method: "GET",
    url: "/c/:code",
    // Link checkers and preview bots send HEAD: it must not count as a click.
    exposeHeadRoute: false,
    handler: async (request, reply) => {
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
      if (answer.kind === "redirect") return reply.redirect(locationHeader(answer.location), 302);
      if (answer.kind === "unavailable") {
        return reply
          .status(503)
          .header("retry-after", String(answer.retryAfter))
          .type("text/html; charset=utf-8")
          .send(UNAVAILABLE_PAGE);
      }
      return reply.status(404).type("text/html; charset=utf-8").send(NOT_FOUND_PAGE);
    },
  });
  app.head("/c/:code", async (_request, reply) =>
    reply.status(405).header("allow", "GET").header("cache-control", "no-store").send(),
  );
}
