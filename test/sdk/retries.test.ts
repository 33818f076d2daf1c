/**
 * The SDK client's retry policy with an injected fetch, clock, sleep and random (no real waits):
 * which answers are retried, the backoff schedule, Retry-After, the deadline, the per-attempt
 * timeout, and that every attempt is the same event re-signed with a fresh timestamp.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  createPostwireClient,
  type FetchInit,
  type FetchLike,
  InvalidEventError,
  type PostwireClientOptions,
  PostwireError,
} from "../../packages/sdk/src/index.ts";
import { decodeSecret, verifyQuerySignature, verifyWebhookSignature } from "../../src/domain/signing.ts";
import { signingVectors } from "../helpers/signing-vectors.ts";

const { secret } = signingVectors;
const START_MS = 1_795_000_000_000;

/** A scripted answer: status (+ Retry-After), a thrown network error, or a fetch that never settles. */
type Script = { status: number; retryAfter?: string; text?: string } | Error | "hang";

interface Sent {
  readonly url: string;
  readonly init: FetchInit;
  readonly atMs: number;
}

function harness(script: Script[], options: Partial<PostwireClientOptions> = {}) {
  let clock = START_MS;
  const sleeps: number[] = [];
  const sent: Sent[] = [];
  const fetch: FetchLike = async (url, init) => {
    sent.push({ url, init, atMs: clock });
    const next = script.length > 1 ? script.shift()! : script[0]!;
    if (next instanceof Error) throw next;
    if (next === "hang") return new Promise<never>(() => undefined);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (next.retryAfter !== undefined) headers["retry-after"] = next.retryAfter;
    const code = next.status === 200 ? "accepted" : `code_${next.status}`;
    return new Response(next.text ?? JSON.stringify({ code }), { status: next.status, headers });
  };
  const client = createPostwireClient({
    baseUrl: "http://127.0.0.1:9/",
    operatorKey: "op_acme",
    secret,
    fetch,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    ...options,
  });
  const send = (txid = "dep-1") =>
    client.send({ event: "ftd", txid, playerId: "p-1", amount: "100.50", currency: "EUR" });
  return { client, send, sleeps, sent, elapsed: () => clock - START_MS };
}

describe("SDK retries", () => {
  test("5xx: retried with exponential backoff and full jitter, capped, up to maxAttempts", async () => {
    const h = harness([{ status: 503 }], { maxAttempts: 6, backoff: { baseMs: 400, maxMs: 3_000 } });
    const result = await h.send();
    // random() = 0.5 of min(3000, 400·2^n): 200, 400, 800, 1500 (capped), 1500.
    assert.deepEqual(h.sleeps, [200, 400, 800, 1500, 1500]);
    assert.deepEqual(
      { ok: result.ok, status: result.status, code: result.code, attempts: result.attempts },
      { ok: false, status: 503, code: "code_503", attempts: 6 },
    );
  });

  test("the jitter is uniform in [0, ceiling): random() scales each wait", async () => {
    const draws = [0, 0.999, 0.25];
    const h = harness([{ status: 500 }], { maxAttempts: 4, random: () => draws.shift()! });
    await h.send();
    assert.deepEqual(h.sleeps, [0, 999, 500]);
  });

  test("408, 429, 500, 502, 504 and network errors are retried; the next answer is returned", async () => {
    const script: Script[] = [
      { status: 408 },
      { status: 429 },
      { status: 500 },
      { status: 502 },
      new TypeError("fetch failed"),
      { status: 504 },
      { status: 200 },
    ];
    const h = harness(script, { maxAttempts: 10, deadlineMs: 600_000 });
    const result = await h.send();
    assert.equal(result.ok, true);
    assert.equal(result.code, "accepted");
    assert.equal(result.attempts, 7);
  });

  for (const status of [400, 401, 403, 404, 405, 409, 413, 415, 422]) {
    test(`${status} is permanent: one attempt, no wait, its code returned`, async () => {
      const h = harness([{ status, retryAfter: "1" }, { status: 200 }]);
      const result = await h.send();
      assert.deepEqual(
        [result.status, result.code, result.attempts, h.sent.length],
        [status, `code_${status}`, 1, 1],
      );
      assert.deepEqual(h.sleeps, []);
    });
  }

  test("Retry-After in seconds or as an HTTP date is waited at least", async () => {
    const date = new Date(START_MS + 9_000 + 12_000).toUTCString();
    const h = harness(
      [{ status: 429, retryAfter: "9" }, { status: 503, retryAfter: date }, { status: 200 }],
      {
        deadlineMs: 60_000,
      },
    );
    const result = await h.send();
    assert.deepEqual(h.sleeps, [9_000, 12_000]);
    assert.equal(result.attempts, 3);
  });

  test("a longer backoff than Retry-After wins; a Retry-After past the deadline ends the call", async () => {
    const h = harness(
      [{ status: 503, retryAfter: "0" }, { status: 503, retryAfter: "3600" }, { status: 200 }],
      {
        random: () => 0.999,
      },
    );
    const result = await h.send();
    assert.deepEqual(h.sleeps, [499]);
    assert.deepEqual([result.status, result.attempts], [503, 2]);
  });

  test("network errors to the end: PostwireError network_error with the attempts and the cause", async () => {
    const cause = new TypeError("fetch failed");
    const h = harness([cause], { maxAttempts: 3 });
    await assert.rejects(h.send(), (error: unknown) => {
      assert.ok(error instanceof PostwireError);
      assert.deepEqual([error.code, error.attempts, error.cause], ["network_error", 3, cause]);
      return true;
    });
  });

  test("deadline: no attempt starts that could not run its full timeout before it", async () => {
    const h = harness([{ status: 503, retryAfter: "3" }], {
      deadlineMs: 10_000,
      timeoutMs: 2_000,
      maxAttempts: 50,
    });
    const result = await h.send();
    // Attempts at 0, 3 s and 6 s; one at 9 s could run until 11 s, past the 10 s deadline.
    assert.deepEqual(
      h.sent.map((s) => s.atMs - START_MS),
      [0, 3_000, 6_000],
    );
    assert.equal(result.attempts, 3);
    assert.ok(h.elapsed() + 2_000 <= 10_000);
    // The per-call option overrides the client's deadline.
    const again = await h.client.send({ event: "registration", txid: "r-1" }, { deadlineMs: 4_000 });
    assert.equal(again.attempts, 1);
  });

  test("each attempt is aborted at its timeout, even by a fetch that ignores its signal", async () => {
    const signals: AbortSignal[] = [];
    const fetch: FetchLike = (_url, init) => {
      signals.push(init.signal);
      return new Promise<never>(() => undefined);
    };
    const client = createPostwireClient({
      baseUrl: "http://127.0.0.1:9",
      operatorKey: "op",
      secret,
      fetch,
      timeoutMs: 50,
      maxAttempts: 2,
      sleep: async () => undefined,
    });
    const started = Date.now();
    await assert.rejects(
      client.send({ event: "registration", txid: "r-1" }),
      (error: unknown) => error instanceof PostwireError && error.code === "timeout" && error.attempts === 2,
    );
    assert.ok(Date.now() - started < 5_000);
    assert.deepEqual(
      signals.map((signal) => signal.aborted),
      [true, true],
      "each fetch's signal is aborted at the timeout",
    );
  });

  test("a caller's abort ends the call during a wait: PostwireError aborted", async () => {
    const controller = new AbortController();
    const h = harness([{ status: 503 }], {
      sleep: (_ms, signal) =>
        new Promise((_, reject) => {
          signal?.addEventListener("abort", () => reject(signal.reason));
          controller.abort(new Error("shutting down"));
        }),
    });
    await assert.rejects(
      h.client.send({ event: "registration", txid: "r-1" }, { signal: controller.signal }),
      (error: unknown) => error instanceof PostwireError && error.code === "aborted" && error.attempts === 1,
    );
  });

  test("POST with a txid that cannot be a webhook-id: InvalidEventError, nothing sent; GET sends it", async () => {
    const h = harness([{ status: 200 }]);
    await assert.rejects(
      h.client.send({ event: "registration", txid: "reg/jöhn" }),
      (error: unknown) => error instanceof InvalidEventError && error.field === "txid",
    );
    assert.equal(h.sent.length, 0);
    const get = harness([{ status: 200 }], { method: "GET" });
    assert.equal((await get.client.send({ event: "registration", txid: "reg/jöhn" })).ok, true);
  });

  test("a body that is not JSON: code http_<status>, body {}", async () => {
    const h = harness([{ status: 502, text: "<html>Bad gateway</html>" }], { maxAttempts: 1 });
    const result = await h.send();
    assert.deepEqual([result.code, result.body], ["http_502", {}]);
  });

  test("POST: every attempt has the same webhook-id (the txid) and body, a fresh timestamp, a valid signature", async () => {
    const h = harness([{ status: 503, retryAfter: "2" }, { status: 503, retryAfter: "2" }, { status: 200 }]);
    await h.send("dep-42");
    assert.equal(h.sent.length, 3);
    const key = decodeSecret(secret);
    assert.ok(key.ok);
    const stamps = new Set<string>();
    for (const { url, init } of h.sent) {
      assert.equal(url, "http://127.0.0.1:9/v1/postback/op_acme");
      assert.equal(init.method, "POST");
      const headers = init.headers;
      assert.equal(headers["webhook-id"], "dep-42");
      assert.equal(init.body, h.sent[0]!.init.body);
      stamps.add(headers["webhook-timestamp"]!);
      const body = Buffer.from(init.body!, "utf8");
      assert.ok(
        verifyWebhookSignature(
          [key.value],
          headers["webhook-id"]!,
          headers["webhook-timestamp"]!,
          body,
          headers["webhook-signature"]!,
        ),
      );
    }
    assert.equal(stamps.size, 3, "re-signed with a fresh timestamp each attempt");
    assert.deepEqual(JSON.parse(h.sent[0]!.init.body!), {
      event: "ftd",
      txid: "dep-42",
      player_id: "p-1",
      amount: "100.50",
      currency: "EUR",
    });
  });

  test("GET: every attempt has the same parameters, a fresh ts and a valid sig", async () => {
    const h = harness([{ status: 503, retryAfter: "2" }, { status: 200 }], { method: "GET" });
    await h.send("dep-43");
    const key = decodeSecret(secret);
    assert.ok(key.ok);
    const ts = h.sent.map(({ url, init }) => {
      assert.equal(init.method, "GET");
      assert.equal(init.body, undefined);
      const pairs = [...new URL(url).searchParams];
      const sig = pairs.find(([n]) => n === "sig")![1];
      assert.ok(verifyQuerySignature([key.value], pairs, sig));
      assert.deepEqual(
        pairs.filter(([n]) => n !== "ts" && n !== "sig"),
        [
          ["event", "ftd"],
          ["txid", "dep-43"],
          ["player_id", "p-1"],
          ["amount", "100.50"],
          ["currency", "EUR"],
        ],
      );
      return pairs.find(([n]) => n === "ts")![1];
    });
    assert.equal(new Set(ts).size, 2);
  });
});
