/**
 * The Postwire client: builds an event's parameters, signs each attempt afresh, sends it, and
 * retries only where a retry can help, with the same `txid` (and `webhook-id`) every time so the
 * service records the event once (docs/integration.md §5, §9).
 */
import { eventParams, InvalidEventError, type PostwireEvent, type Vertical } from "./events.ts";
import { type Backoff, backoffMs, isRetryableStatus, retryAfterMs } from "./retry.ts";
import { createSigner, type Pair, rfc3986, type SubtleLike } from "./signing.ts";

/** What the client passes to `fetch`. */
export interface FetchInit {
  readonly method: "GET" | "POST";
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal: AbortSignal;
}

/** The subset of a fetch Response the client reads. */
export interface ResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** Any WHATWG-style fetch (the global one, undici's, a test double). */
export type FetchLike = (url: string, init: FetchInit) => Promise<ResponseLike>;

export interface PostwireClientOptions<V extends Vertical = Vertical, C extends string = never> {
  /** The Postwire installation, e.g. `https://track.example.com` (a path prefix is kept). */
  readonly baseUrl: string;
  /** Your operator key, the last segment of the postback URL. */
  readonly operatorKey: string;
  /** Your HMAC secret, `whsec_<base64>`. */
  readonly secret: string;
  /** `POST` (JSON body, Standard Webhooks headers; default) or `GET` (query with `ts` and `sig`). */
  readonly method?: "POST" | "GET";
  /** Restricts `send` at compile time to this vertical's default events. */
  readonly vertical?: V;
  /** Your program's own event types (e.g. `["kyc_passed"]`), accepted by `send` besides the standard ones. */
  readonly customEvents?: readonly C[];
  /** Default: the global `fetch`. */
  readonly fetch?: FetchLike;
  /** Clock in epoch ms, for signature timestamps, deadlines and HTTP-date `Retry-After`. Default: `Date.now`. */
  readonly now?: () => number;
  /** Waits between attempts; must reject when `signal` aborts. Default: a timer. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1), for the jitter. Default: `Math.random`. */
  readonly random?: () => number;
  /** Attempts per call, the first included. Default 5. */
  readonly maxAttempts?: number;
  /**
   * Time budget of one `send`, in ms, across all attempts and waits. Default 30 000. A retry starts
   * only if it can run its full `timeoutMs` (after its wait) before the deadline.
   */
  readonly deadlineMs?: number;
  /** Each attempt is aborted after this many ms (first attempt: at most `deadlineMs`). Default 10 000. */
  readonly timeoutMs?: number;
  /** Exponential backoff with full jitter between attempts. */
  readonly backoff?: Backoff;
  /** WebCrypto's SubtleCrypto. Default: `globalThis.crypto.subtle` (node:crypto's on Node 18). */
  readonly subtle?: SubtleLike;
}

/** The service's answer to the last attempt. */
export interface SendResult {
  /** 2xx: the event is committed (`accepted` or `duplicate`). */
  readonly ok: boolean;
  readonly status: number;
  /** The answer's stable `code` (`accepted`, `duplicate`, `txid_conflict`…); `http_<status>` if the body has none. */
  readonly code: string;
  /** The parsed JSON answer (`{}` if it was not JSON). */
  readonly body: Readonly<Record<string, unknown>>;
  /** Attempts made, the first included. */
  readonly attempts: number;
  /** `Idempotent-Replayed: true`: this txid was already recorded with the same content. */
  readonly replayed: boolean;
}

export interface SendOptions {
  /** Cancels the call (the attempt in flight and any wait); `send` then rejects with code `aborted`. */
  readonly signal?: AbortSignal;
  /** Overrides the client's `deadlineMs` for this call. */
  readonly deadlineMs?: number;
  /**
   * Validate only (`Postwire-Validate-Only: 1`): the service runs the whole pipeline and answers
   * as a real send would (with `validate_only: true` and the step `trace`), storing nothing.
   */
  readonly validateOnly?: boolean;
}

export const POSTWIRE_ERROR_CODES = ["network_error", "timeout", "aborted"] as const;
/** Why no answer came: the network failed, the attempt timed out, or the caller aborted. */
export type PostwireErrorCode = (typeof POSTWIRE_ERROR_CODES)[number];

/** `send` rejects with this when its last attempt got no HTTP answer (an answer, even 5xx, is a SendResult). */
export class PostwireError extends Error {
  override readonly name = "PostwireError";
  readonly code: PostwireErrorCode;
  readonly attempts: number;
  constructor(code: PostwireErrorCode, attempts: number, cause: unknown) {
    super(`postback failed after ${attempts} attempt(s): ${code}`, { cause });
    this.code = code;
    this.attempts = attempts;
  }
}

export interface PostwireClient<E> {
  /** Sends one event; resolves with the answer to the last attempt, rejects with PostwireError without one. */
  send(event: E, options?: SendOptions): Promise<SendResult>;
}

type Outcome =
  | { readonly kind: "answer"; readonly result: Omit<SendResult, "attempts">; readonly retryAfter?: number }
  | { readonly kind: "failure"; readonly code: PostwireErrorCode; readonly error: unknown };

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    if (signal?.aborted) abort();
    else signal?.addEventListener("abort", abort, { once: true });
  });

/** What the service accepts as `webhook-id` (docs/integration.md §8.2). */
const WEBHOOK_ID = /^[\x20-\x7e]{1,255}$/;

function parseAnswer(status: number, text: string, replayed: boolean): Omit<SendResult, "attempts"> {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      body = parsed as Record<string, unknown>;
    }
  } catch {
    // Not JSON (a proxy's error page): the status still decides; the code says so.
  }
  const code = typeof body["code"] === "string" ? body["code"] : `http_${status}`;
  return { ok: status >= 200 && status < 300, status, code, body, replayed };
}

/**
 * A client for one operator. Retries network errors, 408, 429 and 5xx with exponential backoff
 * and full jitter, waiting at least `Retry-After`; never retries another status (400, 401, 403,
 * 404, 409, 413…): unchanged, it would fail again.
 */
export function createPostwireClient<V extends Vertical = Vertical, const C extends string = never>(
  options: PostwireClientOptions<V, C>,
): PostwireClient<PostwireEvent<V, C>> {
  const signer = createSigner(options.secret, options.subtle);
  const method = options.method ?? "POST";
  const fetchFn: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const endpoint = `${options.baseUrl.replace(/\/+$/, "")}/v1/postback/${rfc3986(options.operatorKey)}`;

  /** The request of one attempt, signed now. Errors here are the caller's, never retried. */
  async function signedRequest(pairs: readonly Pair[], txid: string, validateOnly: boolean) {
    const ts = String(Math.floor(now() / 1000));
    const extra: Record<string, string> = validateOnly ? { "postwire-validate-only": "1" } : {};
    if (method === "GET") {
      const signed: Pair[] = [...pairs, ["ts", ts]];
      signed.push(["sig", await signer.signQuery(signed)]);
      const query = signed.map(([n, v]) => `${rfc3986(n)}=${rfc3986(v)}`).join("&");
      return { url: `${endpoint}?${query}`, method, headers: { accept: "application/json", ...extra } };
    }
    if (!WEBHOOK_ID.test(txid)) {
      throw new InvalidEventError(
        "txid",
        "A POST sends the txid as webhook-id: 1-255 printable ASCII characters.",
      );
    }
    // Serialised once: the exact string signed is the string sent.
    const body = JSON.stringify(Object.fromEntries(pairs));
    const headers = {
      accept: "application/json",
      "content-type": "application/json",
      "webhook-id": txid,
      "webhook-timestamp": ts,
      "webhook-signature": await signer.signWebhook(txid, ts, body),
      ...extra,
    };
    return { url: endpoint, method, headers, body };
  }

  /** One attempt, bounded by its own timeout even if the injected fetch ignores the signal. */
  async function attempt(
    pairs: readonly Pair[],
    txid: string,
    limitMs: number,
    caller: AbortSignal | undefined,
    validateOnly: boolean,
  ) {
    const { url, ...init } = await signedRequest(pairs, txid, validateOnly);
    if (caller?.aborted) throw new PostwireError("aborted", 0, caller.reason);
    const controller = new AbortController();
    let timedOut = false;
    let stop: (reason: unknown) => void = () => undefined;
    const stopped = new Promise<never>((_, reject) => {
      stop = reject;
    });
    const abort = (reason: unknown) => {
      controller.abort(reason);
      stop(reason);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      abort(new Error(`attempt timed out after ${limitMs} ms`));
    }, limitMs);
    const onCallerAbort = () => abort(caller?.reason);
    caller?.addEventListener("abort", onCallerAbort, { once: true });
    try {
      const exchange = (async () => {
        const response = await fetchFn(url, { ...init, signal: controller.signal });
        const text = await response.text();
        return { response, text };
      })();
      const { response, text } = await Promise.race([exchange, stopped]);
      const replayed = response.headers.get("idempotent-replayed") === "true";
      const retryAfter = retryAfterMs(response.headers.get("retry-after"), now());
      return { kind: "answer", result: parseAnswer(response.status, text, replayed), retryAfter } as const;
    } catch (error) {
      if (caller?.aborted) throw new PostwireError("aborted", 0, caller.reason);
      return { kind: "failure", code: timedOut ? "timeout" : "network_error", error } as const;
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onCallerAbort);
    }
  }

  async function send(event: PostwireEvent<V, C>, sendOptions: SendOptions = {}): Promise<SendResult> {
    const pairs = eventParams(event);
    const { signal } = sendOptions;
    if (signal?.aborted) throw new PostwireError("aborted", 0, signal.reason);
    const deadlineMs = sendOptions.deadlineMs ?? options.deadlineMs ?? 30_000;
    const deadline = now() + deadlineMs;
    let limitMs = Math.min(timeoutMs, deadlineMs);
    for (let attempts = 1; ; attempts++) {
      const validateOnly = sendOptions.validateOnly === true;
      const outcome: Outcome = await attempt(pairs, event.txid, limitMs, signal, validateOnly).catch(
        (error: unknown) => {
          throw error instanceof PostwireError ? new PostwireError(error.code, attempts, error.cause) : error;
        },
      );
      if (outcome.kind === "answer" && !isRetryableStatus(outcome.result.status)) {
        return { ...outcome.result, attempts };
      }
      const retryAfter = outcome.kind === "answer" ? (outcome.retryAfter ?? 0) : 0;
      const wait = Math.max(retryAfter, backoffMs(attempts - 1, random, options.backoff));
      if (attempts >= maxAttempts || now() + wait + timeoutMs > deadline) {
        if (outcome.kind === "answer") return { ...outcome.result, attempts };
        throw new PostwireError(outcome.code, attempts, outcome.error);
      }
      try {
        await sleep(wait, signal);
      } catch (error) {
        throw new PostwireError("aborted", attempts, error);
      }
      limitMs = timeoutMs;
    }
  }

  return { send };
}
