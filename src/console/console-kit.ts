/**
 * What console-routes.ts lends the page modules (requests, stats, timeline, set-up, alerts): its
 * session, CSRF and answer helpers, and the one reader of a submitted form.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { allowRoles } from "../app/admin/scope.ts";
import type { Principal } from "../domain/model.ts";
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

/**
 * The viewer of a page that only `roles` may use: a GET without a session is sent to sign-in, a
 * POST needs its CSRF token (kit.formViewer); any other role gets the API's `forbidden` refusal.
 * Undefined when the answer has already been sent.
 */
export async function viewerWithRole(
  kit: ConsoleKit,
  request: FastifyRequest,
  reply: FastifyReply,
  roles: Principal["role"][],
): Promise<Viewer | undefined> {
  const post = request.method === "POST";
  const viewer = post ? await kit.formViewer(request, reply) : await kit.viewerOf(request);
  if (!viewer) {
    if (!post) reply.redirect("/sign-in", 303);
    return undefined;
  }
  allowRoles(viewer.principal, ...roles);
  return viewer;
}
