/**
 * refused-requests.ts: which refused requests are postbacks the request log can take, and that logging
 * one never throws into node:http or the router (the answer is already sent). The wire cases
 * (malformed or too large heads) are in postback-refused-requests.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  earlyPostbackRequest,
  logEarlyReject,
  postbackInPacket,
} from "../../../src/adapters/http/refused-requests.ts";
import type { PostbackIngestor } from "../../../src/app/ingest/ingest-postback.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import { until } from "../../helpers/until.ts";

const ARRIVAL = { receivedAt: 1_700_000_000_000, startedNs: 1n, remoteAddress: "192.0.2.1" };

describe("earlyPostbackRequest", () => {
  test("the postback route's requests, with the key decoded where it can be", () => {
    const cases: Array<[method: string, url: string, key: string | undefined, rawQuery?: string]> = [
      ["GET", "/v1/postback/op_a?txid=1&sig=x", "op_a", "txid=1&sig=x"],
      ["PUT", "/v1/postback/op_a/", "op_a", ""],
      ["GET", "/v1/postback/op%5Fa", "op_a", ""],
      // Not valid percent-encoding: kept as sent, so the row shows what arrived.
      ["GET", "/v1/postback/%E0%A4%A?x=1", "%E0%A4%A", "x=1"],
      ["GET", "/v1/postback/", undefined],
      ["GET", "/v1/postback/a/b", undefined],
      ["GET", "/c/abc", undefined],
      ["GET", "/v1/postbacks/op_a", undefined],
    ];
    for (const [method, url, key, rawQuery] of cases) {
      const request = earlyPostbackRequest(method, url, { "user-agent": "ua" }, ARRIVAL);
      if (key === undefined) {
        assert.equal(request, undefined, url);
        continue;
      }
      assert.ok(request, url);
      assert.equal(request.operatorKey, key, url);
      assert.equal(request.method, method, url);
      assert.equal(request.rawQuery, rawQuery, url);
      assert.equal(request.path, url.split("?")[0], url);
      assert.equal(request.body.length, 0);
      assert.equal(request.remoteAddress, "192.0.2.1");
      assert.deepEqual(request.headers, { "user-agent": "ua" });
    }
  });
});

describe("postbackInPacket", () => {
  test("a head whose request line names the postback route, else nothing", () => {
    const packet = (text: string) => Buffer.from(text, "latin1");
    assert.equal(postbackInPacket(undefined, ARRIVAL), undefined);
    assert.equal(postbackInPacket(packet("\x16\x03\x01 garbage"), ARRIVAL), undefined);
    assert.equal(postbackInPacket(packet("GET /c/abc HTTP/1.1\r\nHost: x\r\n"), ARRIVAL), undefined);
    const found = postbackInPacket(packet("POST /v1/postback/op_a?ts=1 HTTP/1.1\r\nX: \x01\r\n"), ARRIVAL);
    assert.equal(found?.method, "POST");
    assert.equal(found?.operatorKey, "op_a");
    assert.equal(found?.rawQuery, "ts=1");
    assert.deepEqual(found?.headers, {}, "the head that failed to parse is not trusted for headers");
  });
});

describe("logEarlyReject never throws", () => {
  const request = earlyPostbackRequest("GET", "/v1/postback/op_a", {}, ARRIVAL)!;

  test("a reject that fails asynchronously is reported to onError", async () => {
    const errors: unknown[] = [];
    const ingestor = { reject: () => Promise.reject(new Error("store down")) } as unknown as PostbackIngestor;
    logEarlyReject(ingestor, request, "invalid_request", "m", (error) => errors.push(error));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ["store down"],
    );
  });

  test("a reject that throws at once is reported to onError", () => {
    const errors: unknown[] = [];
    const ingestor = {
      reject: () => {
        throw new Error("sync");
      },
    } as unknown as PostbackIngestor;
    logEarlyReject(ingestor, request, "invalid_request", "m", (error) => errors.push(error));
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ["sync"],
    );
  });

  test("the refusal is passed on as given", async () => {
    const seen: unknown[] = [];
    const ingestor = {
      reject: async (...args: unknown[]) => {
        seen.push(args);
        return { status: 400, body: "{}" };
      },
    } as unknown as PostbackIngestor;
    logEarlyReject(ingestor, request, "request_timeout", "slow", () => assert.fail("no error"));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, [[request, "request_timeout", "slow"]]);
  });
});

describe("a postback the router refuses is logged", () => {
  let t: TestService;
  before(async () => {
    t = await startTestService("sqlite");
  });
  after(() => t.close());

  test("a key that is not valid percent-encoding: 400 and an invalid_request row with the path as sent", async () => {
    const answer = await fetch(`${t.url}/v1/postback/%E0%A4%A?txid=early-1`);
    assert.equal(answer.status, 400);
    assert.equal(((await answer.json()) as { code: string }).code, "invalid_request");
    // The row is written after the answer.
    const rows = await until(async () => {
      const found = (await t.store.searchRequestLog({ code: "invalid_request" })).filter(
        (row) => row.path === "/v1/postback/%E0%A4%A",
      );
      return found.length > 0 && found;
    }, "the request-log row");
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 400);
    assert.equal(rows[0]!.method, "GET");
    assert.equal(rows[0]!.operatorId, null);
  });
});
