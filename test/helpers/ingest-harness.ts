/**
 * The ingest use case without HTTP: a PostbackIngestor over a test store, an operator authenticated
 * by IP allowlist (so requests need no signature), click ids issued with the ingestor's secret,
 * and request builders.
 */
import { randomBytes } from "node:crypto";
import { createIds, systemClock } from "../../src/adapters/clock-and-ids.ts";
import { Catalog } from "../../src/app/catalog.ts";
import type { GroupCommitOptions } from "../../src/app/group-commit.ts";
import type { ConversionEffect } from "../../src/app/ingest/ingest-port.ts";
import {
  createPostbackIngestor,
  type PostbackIngestor,
  type PostbackRequest,
} from "../../src/app/ingest/ingest-postback.ts";
import type { Store } from "../../src/app/ports.ts";
import { issueClickId } from "../../src/domain/click-id.ts";
import type { Link } from "../../src/domain/model.ts";
import { createTestStore, type Engine } from "./engines.ts";
import { createFixture, type Fixture } from "./service.ts";

export type Params = Record<string, string> | ReadonlyArray<readonly [string, string]>;

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly retryAfter: number | undefined;
}

export const OPEN_AUTH = { hmacSecrets: [], ipAllowlist: ["127.0.0.0/8"] };

export function getRequest(operatorKey: string, params: Params, receivedAt = Date.now()): PostbackRequest {
  const pairs = Array.isArray(params) ? params : Object.entries(params);
  return {
    operatorKey,
    method: "GET",
    path: `/v1/postback/${operatorKey}`,
    rawQuery: new URLSearchParams(pairs as Array<[string, string]>).toString(),
    body: Buffer.alloc(0),
    headers: { "user-agent": "operator-backend/1.0" },
    remoteAddress: "127.0.0.1",
    receivedAt,
    startedNs: process.hrtime.bigint(),
  };
}

export function jsonRequest(operatorKey: string, body: string): PostbackRequest {
  return {
    ...getRequest(operatorKey, {}),
    method: "POST",
    headers: { "content-type": "application/json" },
    body: Buffer.from(body),
  };
}

export function batchingFor(engine: Engine, overrides: Partial<GroupCommitOptions> = {}): GroupCommitOptions {
  return { maxBatch: 512, concurrency: engine === "sqlite" ? 1 : 4, maxPending: 10_000, ...overrides };
}

/** An ingestor over `store`, as one Postwire process would build it (with `effects`, if any). */
export function createIngestor(
  store: Store,
  clickSecret: Buffer,
  batching: GroupCommitOptions,
  effects: readonly ConversionEffect[] = [],
): PostbackIngestor {
  const ids = createIds();
  return createPostbackIngestor({
    store,
    catalog: new Catalog(store, systemClock),
    clock: systemClock,
    ids,
    clickSecrets: [clickSecret],
    batching,
    effects,
  });
}

export interface IngestHarness {
  readonly store: Store & { readonly url: string };
  readonly fixture: Fixture;
  readonly clickSecret: Buffer;
  readonly ingestor: PostbackIngestor;
  /** Sends a GET postback to the fixture's operator (or another key). */
  send(params: Params, operatorKey?: string): Promise<Answer>;
  /** A valid click id for the link (the fixture's by default). */
  click(link?: Link): string;
  /** Another operator with its own program, affiliate and link in the same database. */
  otherFixture(): Promise<Fixture>;
  close(): Promise<void>;
}

export function parseAnswer(answer: { status: number; body: string; retryAfter?: number }): Answer {
  return {
    status: answer.status,
    body: JSON.parse(answer.body) as Record<string, unknown>,
    retryAfter: answer.retryAfter,
  };
}

export async function startIngest(
  engine: Engine,
  batching: Partial<GroupCommitOptions> = {},
): Promise<IngestHarness> {
  const store = await createTestStore(engine);
  const fixture = await createFixture(store, { auth: OPEN_AUTH });
  const clickSecret = randomBytes(32);
  const ingestor = createIngestor(store, clickSecret, batchingFor(engine, batching));
  return {
    store,
    fixture,
    clickSecret,
    ingestor,
    async send(params, operatorKey = fixture.operator.key) {
      return parseAnswer(await ingestor.handle(getRequest(operatorKey, params)));
    },
    click(link = fixture.link) {
      return issueClickId(
        clickSecret,
        { linkId: link.id, issuedAtSeconds: Math.floor(Date.now() / 1000) },
        randomBytes(6),
      );
    },
    otherFixture: () => createFixture(store, { auth: OPEN_AUTH }),
    async close() {
      await ingestor.drain();
      await store.close();
    },
  };
}
