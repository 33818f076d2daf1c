/**
 * Helpers for the postback HTTP tests: signing a GET or POST the way an operator does, sending it
 * over the real listener, and checking a refusal stored nothing but its request-log row.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import type { Clock, Store } from "../../../src/app/ports.ts";
import { type Service, type ServiceOptions, startService } from "../../../src/composition/start-service.ts";
import { loadConfig } from "../../../src/config.ts";
import { decodeSecret, signQuery, signWebhook } from "../../../src/domain/signing.ts";
import { createTestDatabase, type Engine, type TestDatabase } from "../../helpers/engines.ts";
import type { Fixture } from "../../helpers/service.ts";
import { PATIENCE_MS } from "../../helpers/until.ts";

export type Pairs = Array<[string, string]>;

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function secretBytes(secret: string): Buffer {
  const decoded = decodeSecret(secret);
  if (!decoded.ok) throw new Error(decoded.error.message);
  return decoded.value;
}

/** A GET query signed like an operator would: `ts` added, `sig` over the canonical query. */
export function signedQuery(secret: string, params: Pairs, ts: number = nowSeconds()): string {
  const pairs: Pairs = [...params, ["ts", String(ts)]];
  const sig = signQuery(secretBytes(secret), pairs);
  return new URLSearchParams([...pairs, ["sig", sig]]).toString();
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Left empty: the test asserting on it fails with the text in its message.
  }
  return { status: response.status, headers: response.headers, body, text };
}

export async function getPostback(
  url: string,
  operatorKey: string,
  query: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return answerOf(await fetch(`${url}/v1/postback/${operatorKey}?${query}`, { headers }));
}

export async function signedGet(
  url: string,
  f: Fixture,
  params: Pairs,
  opts: { ts?: number; secret?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return getPostback(
    url,
    f.operator.key,
    signedQuery(opts.secret ?? f.secret, params, opts.ts),
    opts.headers,
  );
}

export interface PostOptions {
  readonly contentType?: string;
  readonly ts?: number;
  readonly id?: string;
  readonly secret?: string;
  /** Skip the Standard Webhooks headers. */
  readonly unsigned?: boolean;
  readonly headers?: Record<string, string>;
  readonly query?: string;
}

/** A POST with Standard Webhooks headers over the exact body bytes. */
export async function signedPost(
  url: string,
  f: Fixture,
  body: string | Buffer,
  opts: PostOptions = {},
): Promise<Answer> {
  const ts = String(opts.ts ?? nowSeconds());
  const id = opts.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const headers: Record<string, string> = {
    "content-type": opts.contentType ?? "application/json",
    ...(opts.unsigned
      ? {}
      : {
          "webhook-id": id,
          "webhook-timestamp": ts,
          "webhook-signature": signWebhook(secretBytes(opts.secret ?? f.secret), id, ts, body),
        }),
    ...opts.headers,
  };
  const query = opts.query ? `?${opts.query}` : "";
  const response = await fetch(`${url}/v1/postback/${f.operator.key}${query}`, {
    method: "POST",
    headers,
    body,
  });
  return answerOf(response);
}

/** A valid ftd for the fixture's operator, without attribution (no click needed). */
export function ftd(txid: string, extra: Pairs = []): Pairs {
  return [
    ["event", "ftd"],
    ["txid", txid],
    ["player_id", `p-${txid}`],
    ["amount", "100.50"],
    ["currency", "EUR"],
    ...extra,
  ];
}

/**
 * The answer is the expected 4xx with its code (and field), no conversion was stored for the
 * operator, and exactly one request-log row carries that code.
 */
export async function assertRefused(
  store: Store,
  operatorId: number,
  answer: Answer,
  expected: { status: number; code: string; field?: string },
  conversionsBefore = 0,
): Promise<void> {
  assert.equal(answer.status, expected.status, answer.text);
  assert.equal(answer.body["code"], expected.code, answer.text);
  if (expected.field !== undefined) assert.equal(answer.body["field"], expected.field, answer.text);
  assert.equal(typeof answer.body["message"], "string");
  assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
  const stored = await store.listConversions({ operatorId });
  assert.equal(stored.length, conversionsBefore, "a refused postback stores no conversion");
  const logged = await store.searchRequestLog({ operatorId, code: expected.code });
  assert.equal(logged.length, 1, `one request-log row with code ${expected.code}`);
  assert.equal(logged[0]!.status, expected.status);
  assert.ok(logged[0]!.latencyUs >= 0);
}

export interface KitService {
  readonly service: Service;
  readonly store: Store;
  readonly url: string;
  readonly database: TestDatabase;
  /** Stops the service (errors ignored when the test broke the store on purpose) and drops the database. */
  close(): Promise<void>;
}

/** Like startTestService, with a chosen clock and service options (log lines, drain delay). */
export async function startKitService(
  engine: Engine,
  opts: { env?: Record<string, string>; clock?: Clock } & ServiceOptions = {},
): Promise<KitService> {
  const { env, clock, ...options } = opts;
  const database = await createTestDatabase(engine);
  const config = loadConfig({
    DATABASE_URL: database.url,
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "silent",
    ...env,
  });
  const service = await startService(config, clock, options);
  return {
    service,
    store: service.store,
    url: service.url,
    database,
    async close() {
      await service.stop().catch(() => undefined);
      await database.drop();
    },
  };
}

/** A clock that starts at `startMs` and runs at the real pace. */
export function clockFrom(startMs: number): Clock {
  const origin = Date.now();
  return { now: () => startMs + (Date.now() - origin) };
}

export interface RawExchange {
  readonly response: string;
  readonly elapsedMs: number;
}

/** Opens a raw connection to `url`, lets `drive` write, resolves with all it read once the server closes it. */
export function rawExchange(
  url: string,
  drive: (socket: Socket) => void,
  giveUpMs = PATIENCE_MS,
): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let response = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`not closed within ${giveUpMs} ms; got ${JSON.stringify(response)}`));
    }, giveUpMs);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      response += chunk;
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ response, elapsedMs: Date.now() - started });
    });
    socket.on("connect", () => drive(socket));
  });
}
