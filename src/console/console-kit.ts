/**
 * What console-routes.ts lends the page modules (requests, stats, timeline, set-up, alerts): its
 * session, CSRF and answer helpers, and the one reader of a submitted form.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Viewer } from "./layout.ts";

export interface ConsoleKit {
  viewerOf(request: FastifyRequest): Promise<Viewer | undefined>;
  /** The viewer of a POST whose CSRF token is right; otherwise the refusal has been sent. */
  formViewer(request: FastifyRequest, reply: FastifyReply): Promise<Viewer | undefined>;
  sendPage(reply: FastifyReply, body: string, status?: number): FastifyReply;
  /** A path of this console to return to (never another site). */
  returnPath(value: string | undefined): string;
  readonly cookieOptions: {
    readonly path: string;
    readonly httpOnly: boolean;
    readonly sameSite: "strict";
    readonly secure: boolean;
  };
}

/** A submitted form's fields (url-encoded: @fastify/formbody). */
export type Form = Record<string, string | undefined>;

export const formOf = (request: FastifyRequest): Form =>
  request.body !== null && typeof request.body === "object" ? (request.body as Form) : {};
