/** GET /c/{link_code}: record the click, 302 to the landing URL (DESIGN §1). */

import type { IncomingHttpHeaders } from "node:http";
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { ClickAnswer, ClickRecorder, ClickRequest } from "../../../app/clicks/record-click.ts";
import { ERROR } from "./admin/schemas.ts";

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

/** The HTTP answer to a click, shared with the node:http fast path (x-request-id aside). */
export interface ClickResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Undefined: no body (a redirect). */
  readonly body: string | undefined;
}

const HTML_TYPE = "text/html; charset=utf-8";

export function clickResponse(answer: ClickAnswer): ClickResponse {
  if (answer.kind === "redirect") {
    return {
      status: 302,
      headers: { "cache-control": "no-store", location: locationHeader(answer.location) },
      body: undefined,
    };
  }
  if (answer.kind === "unavailable") {
    return {
      status: 503,
      headers: {
        "cache-control": "no-store",
        "retry-after": String(answer.retryAfter),
        "content-type": HTML_TYPE,
      },
      body: UNAVAILABLE_PAGE,
    };
  }
  return {
    status: 404,
    headers: { "cache-control": "no-store", "content-type": HTML_TYPE },
    body: NOT_FOUND_PAGE,
  };
}

/** What the click use case needs of a GET /c/{code} request. */
export function clickRequest(
  url: string,
  code: string,
  remoteAddress: string,
  headers: IncomingHttpHeaders,
): ClickRequest {
  const q = url.indexOf("?");
  return {
    code,
    query: new URLSearchParams(q === -1 ? "" : url.slice(q + 1)),
    remoteAddress,
    forwardedFor: headers["x-forwarded-for"],
    userAgent: headers["user-agent"],
    referer: headers.referer,
  };
}

const HTML = { content: { "text/html": { schema: Type.String() } } };
const PARAMS = Type.Object({ code: Type.String({ description: "The link's code." }) });
const SUB = Type.Optional(
  Type.String({
    description:
      "Kept as sent up to 256 characters; a longer value is cut to its first 256 (stored and substituted so), never refused.",
  }),
);

/** Documents the route for /openapi.json; the click path takes any query (nothing is refused). */
const CLICK_SCHEMA = {
  summary: "Follow a tracking link: records the click and redirects to the landing URL",
  tags: ["clicks"],
  security: [],
  params: PARAMS,
  querystring: Type.Object(
    { sub1: SUB, sub2: SUB, sub3: SUB, sub4: SUB, sub5: SUB },
    { additionalProperties: true },
  ),
  response: {
    302: {
      type: "null",
      description:
        "To the landing URL with {click_id}, {sub1}… substituted (or the program's fallback URL for a paused link).",
      headers: { location: { type: "string", description: "The landing URL." } },
    },
    404: { ...HTML, description: "Unknown or paused link (with no fallback URL)." },
    500: { description: "internal_error.", content: { "application/json": { schema: ERROR } } },
    503: { ...HTML, description: "Temporarily unavailable; Retry-After given." },
  },
};

const HEAD_SCHEMA = {
  summary: "Refused so that link checkers do not count as clicks",
  tags: ["clicks"],
  security: [],
  params: PARAMS,
  response: {
    405: {
      type: "null",
      description: "Not a click.",
      headers: { allow: { type: "string", description: "GET" } },
    },
  },
};

export async function clickRoutes(
  app: FastifyInstance,
  deps: { readonly clicks: ClickRecorder },
): Promise<void> {
  app.setValidatorCompiler(() => () => true);
  app.route<{ Params: { code: string } }>({
    method: "GET",
    url: "/c/:code",
    schema: CLICK_SCHEMA,
    // Link checkers and preview bots send HEAD: it must not count as a click.
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const answer = await deps.clicks.record(
        clickRequest(request.url, request.params.code, request.socket.remoteAddress ?? "", request.headers),
      );
      const response = clickResponse(answer);
      return reply.status(response.status).headers(response.headers).send(response.body);
    },
  });
  // Documented: @fastify/swagger leaves HEAD routes out unless told (the automatic ones stay out).
  const head = { schema: HEAD_SCHEMA, config: { swagger: { exposeHeadRoute: true } } };
  app.head("/c/:code", head, async (_request, reply) =>
    reply.status(405).header("allow", "GET").header("cache-control", "no-store").send(),
  );
}
