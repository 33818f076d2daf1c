/**
 * The outbound HTTP sender (DESIGN §4): implements the OutboundSender port over node:http/https
 * with keep-alive agents. Every send re-checks the URL (scheme, literal address, blocked names);
 * every new connection resolves through the guard's lookup hook, so it only ever reaches a
 * checked address. Redirects are never followed (a 3xx is the `redirect` error), only the first
 * bytes of an answer are read, and three clocks bound an attempt: connect, response, deadline.
 */
import type { ClientRequest, IncomingMessage } from "node:http";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type {
  OutboundRequest,
  OutboundSender,
  SendError,
  SendOptions,
  SendResult,
} from "../../app/delivery/sender-port.ts";
import { parseRetryAfter } from "../../domain/retry-schedule.ts";
import type { GuardedEgress } from "./egress-guard.ts";
import { EGRESS_BLOCKED } from "./egress-guard.ts";

export interface HttpSenderOptions {
  readonly guard: GuardedEgress;
  /** Concurrent connections per origin (scheme, host, port); more requests queue. Default 64. */
  readonly maxSocketsPerOrigin?: number;
  /** Idle keep-alive connections are closed after this. Default 4000 ms. */
  readonly idleSocketTimeoutMs?: number;
  /** Bytes of the answer kept as `responseSnippet`; the rest is not read. Default 1024. */
  readonly maxSnippetBytes?: number;
}

export interface HttpSender extends OutboundSender {
  /** Closes the pooled connections (graceful shutdown). */
  close(): void;
}

const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NODATA", "EAI_NONAME", "ENODATA"]);

function classify(error: NodeJS.ErrnoException): SendError {
  if (error.code === EGRESS_BLOCKED) return "blocked_address";
  if (error.syscall === "getaddrinfo" || (error.code !== undefined && DNS_CODES.has(error.code)))
    return "dns_failure";
  return "network_error";
}

const describe = (error: NodeJS.ErrnoException): string =>
  error.code === undefined ? error.message : `${error.code}: ${error.message}`;

export function createHttpSender(options: HttpSenderOptions): HttpSender {
  const { guard } = options;
  const maxSnippet = options.maxSnippetBytes ?? 1024;
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSocketsPerOrigin ?? 64,
    timeout: options.idleSocketTimeoutMs ?? 4000,
    scheduling: "lifo" as const,
    lookup: guard.lookup,
  };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);

  function send(request: OutboundRequest, sendOptions: SendOptions): Promise<SendResult> {
    const start = performance.now();
    const checked = guard.checkUrl(request.url);
    if (!checked.ok) return Promise.resolve(failure(checked.error, checked.reason, start));
    const { url, ip } = checked;
    const secure = url.protocol === "https:";
    const requestOptions = {
      agent: secure ? httpsAgent : httpAgent,
      // A literal connects as is (no lookup: it was checked above); a name goes through guard.lookup.
      hostname: ip ?? url.hostname,
      port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
      path: url.pathname + url.search,
      method: request.method,
      headers: request.headers,
    };
    const body = request.method === "POST" ? request.body : undefined;

    return new Promise<SendResult>((resolve) => {
      let done = false;
      let retried = false;
      let req: ClientRequest;
      let phaseTimer: NodeJS.Timeout | undefined;
      let status: number | null = null;
      let headers: IncomingMessage["headers"] | null = null;
      let first: Buffer | null = null;
      let more: Buffer[] | null = null;
      let received = 0;

      const snippet = (): string => {
        if (first === null) return "";
        const all = more === null ? first : Buffer.concat([first, ...more]);
        return all.toString("utf8", 0, Math.min(all.length, maxSnippet));
      };
      const finish = (error: SendError | null, detail: string | null): void => {
        if (done) return;
        done = true;
        clearTimeout(deadlineTimer);
        clearTimeout(phaseTimer);
        const ok = error === null && status !== null && status >= 200 && status < 300;
        const retryAfter = headers?.["retry-after"];
        resolve({
          ok,
          status,
          error,
          detail,
          latencyMs: Math.round(performance.now() - start),
          responseSnippet: snippet(),
          retryAfterSeconds: retryAfter === undefined ? null : parseRetryAfter(retryAfter, Date.now()),
        });
      };
      const abort = (error: SendError, detail: string): void => {
        finish(error, detail);
        req.destroy();
      };
      const deadlineAt = performance.now() + sendOptions.deadlineMs;
      const startPhase = (error: SendError, ms: number): void => {
        clearTimeout(phaseTimer);
        // A phase that cannot end before the deadline needs no timer of its own (with the default
        // settings, response timeout = deadline: one timer per attempt, not two).
        phaseTimer =
          performance.now() + ms < deadlineAt
            ? setTimeout(() => abort(error, `${error.replace("_", " ")} after ${ms} ms`), ms)
            : undefined;
      };
      const deadlineTimer = setTimeout(
        () => abort("deadline_exceeded", `no complete answer within ${sendOptions.deadlineMs} ms`),
        sendOptions.deadlineMs,
      );

      const onAnswered = (): void => {
        if (status === null) return;
        if (status >= 300 && status < 400) {
          const location = headers?.location;
          const target = location === undefined ? "" : ` to ${location.slice(0, 200)}`;
          finish("redirect", `HTTP ${status} redirect${target} (not followed)`);
        } else if (status < 200 || status >= 300) finish("http_error", `HTTP ${status}`);
        else finish(null, null);
      };
      const onResponse = (res: IncomingMessage): void => {
        clearTimeout(phaseTimer);
        status = res.statusCode ?? null;
        headers = res.headers;
        res.on("data", (chunk: Buffer) => {
          if (received < maxSnippet) {
            if (first === null) first = chunk;
            else if (more === null) more = [chunk];
            else more.push(chunk);
          }
          received += chunk.length;
          if (received >= maxSnippet) {
            // Enough: stop reading (and lose this connection) rather than download the rest.
            onAnswered();
            res.destroy();
          }
        });
        res.on("end", onAnswered);
        // Cut off after the headers (or stopped by us): the status is the answer.
        res.on("close", onAnswered);
        res.on("error", onAnswered);
      };
      const onSocket = (socket: Socket): void => {
        if (!socket.connecting) {
          startPhase("response_timeout", sendOptions.responseTimeoutMs);
          return;
        }
        startPhase("connect_timeout", sendOptions.connectTimeoutMs);
        socket.once(secure ? "secureConnect" : "connect", () => {
          if (!done) startPhase("response_timeout", sendOptions.responseTimeoutMs);
        });
      };
      const onError = (error: NodeJS.ErrnoException): void => {
        if (done) return;
        // A pooled connection the receiver closed as we reused it: one immediate retry.
        if (!retried && status === null && req.reusedSocket && error.code === "ECONNRESET") {
          retried = true;
          clearTimeout(phaseTimer);
          dispatch();
        } else if (status !== null) onAnswered();
        else finish(classify(error), describe(error));
      };
      const dispatch = (): void => {
        try {
          req = (secure ? httpsRequest : httpRequest)(requestOptions, onResponse);
        } catch (error) {
          // Bad header names or values are refused synchronously by node:http.
          finish("invalid_url", describe(error as NodeJS.ErrnoException));
          return;
        }
        req.on("socket", onSocket);
        req.on("error", onError);
        req.end(body);
      };
      dispatch();
    });
  }

  function failure(error: SendError, detail: string, start: number): SendResult {
    const latencyMs = Math.round(performance.now() - start);
    return {
      ok: false,
      status: null,
      error,
      detail,
      latencyMs,
      responseSnippet: "",
      retryAfterSeconds: null,
    };
  }

  return {
    send,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
