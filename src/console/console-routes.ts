/**
 * The console (server-rendered HTML) on the service's own listener: `/` and its pages, sign-in
 * and sign-out, the viewer's time zone, static assets under /assets/. Registered as an
 * encapsulated plugin, so its cookie and form parsing, security headers (a Content-Security-Policy
 * without inline script) and HTML error pages apply to its routes only; the API keeps JSON.
 *
 * CSRF: every POST must come from this site (its Origin, when the browser sends one, is this host
 * or PUBLIC_URL's), and every form of a signed-in page carries the session's CSRF token
 * (console-sessions.ts), checked before the handler runs. The session cookie is HttpOnly,
 * SameSite=Strict, and Secure whenever PUBLIC_URL is https.
 */
import path from "node:path";
import cookie from "@fastify/cookie";
import formbody from "@fastify/formbody";
import helmet from "@fastify/helmet";
import fastifyStatic from "@fastify/static";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ComparisonThreads } from "../adapters/files/comparison-threads.ts";
import type { OutboundRouteDeps } from "../adapters/http/routes/admin/endpoints.ts";
import {
  csrfMatches,
  csrfTokenOf,
  currentSession,
  MAX_AGE_MS,
  signIn,
  signOut,
} from "../app/access/console-sessions.ts";
import { createSignInThrottle, type SignInThrottle } from "../app/access/sign-in-throttle.ts";
import type { AdminDeps } from "../app/admin/deps.ts";
import type { PostbackIngestor } from "../app/ingest/ingest-postback.ts";
import { StorageUnavailableError } from "../app/storage-errors.ts";
import { ERRORS, PostwireError } from "../domain/errors.ts";
import { AFFILIATE_PAGE_PATHS, affiliatePages } from "./affiliate-pages.ts";
import { ALERT_PAGE_PATHS, alertPages } from "./alert-pages.ts";
import { API_KEY_PAGE_PATHS, apiKeyPages } from "./api-key-pages.ts";
import { type ConsoleKit, formOf } from "./console-kit.ts";
import { ENDPOINT_PAGE_PATHS, endpointPages } from "./endpoint-pages.ts";
import type { Viewer } from "./layout.ts";
import { OPERATOR_PAGE_PATHS, operatorPages } from "./operator-pages.ts";
import { OWN_PAGE_PATHS, ownPages } from "./own-pages.ts";
import { errorPage } from "./pages/error.ts";
import { homePage } from "./pages/home.ts";
import { overviewPage } from "./pages/overview.ts";
import { signInPage } from "./pages/sign-in.ts";
import { PROGRAM_PAGE_PATHS, programPages } from "./program-pages.ts";
import { RECONCILE_PAGE_PATHS, reconcilePages } from "./reconcile-pages.ts";
import { REQUEST_PATHS, requestRoutes } from "./request-routes.ts";
import { SETUP_PAGE_PATHS, setupPages } from "./setup-pages.ts";
import { STATS_PAGE_PATHS, statsPages } from "./stats-pages.ts";
import { timeZoneOf } from "./time-zones.ts";
import { TIMELINE_PAGE_PATHS, timelinePages } from "./timeline-pages.ts";

const SESSION_COOKIE = "pw_session";
/** The console's routes: HTML pages and assets, not API (left out of the OpenAPI document). */
export const CONSOLE_PATHS: readonly string[] = [
  "/",
  "/sign-in",
  "/sign-out",
  "/preferences",
  "/assets/*",
  ...TIMELINE_PAGE_PATHS,
  ...SETUP_PAGE_PATHS,
  ...PROGRAM_PAGE_PATHS,
  ...REQUEST_PATHS,
  ...ALERT_PAGE_PATHS,
  ...STATS_PAGE_PATHS,
  ...OPERATOR_PAGE_PATHS,
  ...AFFILIATE_PAGE_PATHS,
  ...ENDPOINT_PAGE_PATHS,
  ...API_KEY_PAGE_PATHS,
  ...OWN_PAGE_PATHS,
  ...RECONCILE_PAGE_PATHS,
];
const TIME_ZONE_COOKIE = "pw_tz";

interface ConsoleDeps extends AdminDeps {
  /** The click-id secrets: the recalculation page decides commissions as ingest does. */
  readonly clickSecrets?: readonly Uint8Array[] | undefined;
  /** Failed sign-ins per address (default: 10 per 15 minutes, on `clock`). */
  readonly signInThrottle?: SignInThrottle;
  /** Outbound endpoints (egress guard, sender for "send test"): the endpoint pages need them. */
  readonly outbound?: OutboundRouteDeps | undefined;
  /** The postback pipeline, for reconciliation backfills (none: the backfill is not offered). */
  readonly ingestor?: Pick<PostbackIngestor, "backfill"> | undefined;
  /** Worker threads for reconciliation comparisons (none: compared in the request's thread). */
  readonly comparisons?: ComparisonThreads | undefined;
}

const HTML = "text/html; charset=utf-8";

/** A path of this console to return to, never another site. */
const returnPath = (value: string | undefined): string =>
  value?.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : "/";

export async function consoleRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const secure = deps.publicUrl.startsWith("https:");
  const publicOrigin = new URL(deps.publicUrl).origin;
  const throttle = deps.signInThrottle ?? createSignInThrottle({ clock: deps.clock });
  const cookieOptions = { path: "/", httpOnly: true, sameSite: "strict", secure } as const;

  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16_384 });
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    // HSTS only where the console is served over https (PUBLIC_URL says so).
    strictTransportSecurity: secure ? { maxAge: 15_552_000 } : false,
    referrerPolicy: { policy: "same-origin" },
  });
  await app.register(fastifyStatic, {
    root: path.join(import.meta.dirname, "assets"),
    prefix: "/assets/",
    maxAge: "1h",
    schemaHide: true,
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof StorageUnavailableError) return htmlError(reply, "storage_unavailable");
    if (error instanceof PostwireError) return htmlError(reply, error.code, error.message);
    if (error.statusCode === 413) return htmlError(reply, "payload_too_large");
    if (error.statusCode && error.statusCode < 500) return htmlError(reply, "invalid_request", error.message);
    request.log.error({ err: error }, "console error");
    return htmlError(reply, "internal_error");
  });

  function htmlError(reply: FastifyReply, code: keyof typeof ERRORS, message?: string, viewer?: Viewer) {
    const entry = ERRORS[code];
    const shown = entry.expose ? (message ?? entry.message) : entry.message;
    return reply
      .status(entry.status)
      .type(HTML)
      .header("cache-control", "no-store")
      .send(errorPage(entry.status, code, shown, viewer));
  }

  async function viewerOf(request: FastifyRequest): Promise<Viewer | undefined> {
    const token = request.cookies[SESSION_COOKIE];
    const found = await currentSession(deps.store, deps.clock, token);
    if (!found || !token) return undefined;
    return {
      principal: found.principal,
      keyName: found.keyName,
      csrf: csrfTokenOf(token),
      timeZone: timeZoneOf(request.cookies[TIME_ZONE_COOKIE]),
    };
  }

  const sendPage = (reply: FastifyReply, body: string, status = 200) =>
    reply.status(status).type(HTML).header("cache-control", "no-store").send(body);

  // Cross-site POSTs are refused before anything else: the Origin a browser sends must be ours.
  app.addHook("preHandler", async (request, reply) => {
    if (request.method !== "POST") return;
    const origin = request.headers.origin;
    if (origin === undefined) return;
    let host: string | undefined;
    try {
      host = origin === "null" ? undefined : new URL(origin).host;
    } catch {}
    if (host === undefined || (host !== request.headers.host && origin !== publicOrigin))
      return htmlError(reply, "csrf_rejected", "This form was sent from another site.");
  });

  /** The viewer of a signed-in POST whose CSRF token is right; otherwise the refusal is sent. */
  async function formViewer(request: FastifyRequest, reply: FastifyReply): Promise<Viewer | undefined> {
    const viewer = await viewerOf(request);
    if (!viewer) {
      reply.redirect("/sign-in", 303);
      return undefined;
    }
    const token = request.cookies[SESSION_COOKIE]!;
    if (!csrfMatches(token, formOf(request)["csrf"])) {
      htmlError(reply, "csrf_rejected", undefined, viewer);
      return undefined;
    }
    return viewer;
  }

  app.get("/", async (request, reply) => {
    const viewer = await viewerOf(request);
    if (!viewer) return reply.redirect("/sign-in", 303);
    // Admin and operator keys: the overview of their programs; an affiliate key: its links.
    const home = viewer.principal.role === "affiliate" ? homePage : overviewPage;
    return sendPage(reply, await home(deps, viewer));
  });

  // One kit for every page module.
  const kit: ConsoleKit = { viewerOf, formViewer, sendPage, returnPath, cookieOptions };
  await timelinePages(app, deps, kit);
  await setupPages(app, deps, kit);
  await programPages(app, deps, kit);
  await alertPages(app, deps, kit);
  await statsPages(app, deps, kit);
  await operatorPages(app, deps, kit);
  await affiliatePages(app, deps, kit);
  if (deps.outbound) await endpointPages(app, { ...deps, ...deps.outbound }, kit);
  await apiKeyPages(app, deps, kit);
  await ownPages(app, deps, kit);
  await reconcilePages(app, deps, kit);

  app.get("/sign-in", async (request, reply) => {
    if (await viewerOf(request)) return reply.redirect("/", 303);
    return sendPage(reply, signInPage());
  });

  app.post("/sign-in", async (request, reply) => {
    const wait = throttle.retryAfterSeconds(request.ip);
    if (wait > 0) {
      reply.header("retry-after", String(wait));
      return sendPage(reply, signInPage(`${ERRORS.too_many_attempts.message} (${wait} s)`), 429);
    }
    const apiKey = formOf(request)["api_key"] ?? "";
    const signed = await signIn(deps.store, deps.clock, deps.ids, {
      apiKey,
      ip: request.ip,
      userAgent: request.headers["user-agent"] ?? null,
    });
    if (!signed.ok) {
      throttle.failed(request.ip);
      return sendPage(reply, signInPage("This API key is unknown or revoked."), 401);
    }
    throttle.succeeded(request.ip);
    reply.setCookie(SESSION_COOKIE, signed.value.token, { ...cookieOptions, maxAge: MAX_AGE_MS / 1000 });
    return reply.redirect("/", 303);
  });

  app.post("/sign-out", async (request, reply) => {
    if (!(await formViewer(request, reply))) return reply;
    await signOut(deps.store, deps.clock, request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, cookieOptions);
    return reply.redirect("/sign-in", 303);
  });

  app.post("/preferences", async (request, reply) => {
    if (!(await formViewer(request, reply))) return reply;
    const form = formOf(request);
    reply.setCookie(TIME_ZONE_COOKIE, timeZoneOf(form["time_zone"]), {
      ...cookieOptions,
      maxAge: 365 * 86_400,
    });
    return reply.redirect(returnPath(form["return_to"]), 303);
  });

  await requestRoutes(app, deps, kit);
}
