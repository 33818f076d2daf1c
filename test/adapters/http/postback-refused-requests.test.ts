/**
 * Postback requests refused by node:http before any route runs (malformed or too large heads) get
 * the JSON answer and a request-log row with the code. Headers that never complete, and bytes that
 * name no postback (garbage on the socket), are answered but cannot be logged (refused-requests.ts).
 */
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { createFixture, type Fixture, startTestService, type TestService } from "../../helpers/service.ts";
import { until } from "../../helpers/until.ts";
import { rawExchange } from "./postback-kit.ts";

const HEADERS_TIMEOUT_MS = 300;

/** What the server answered on a raw connection, once it closed it. */
async function exchange(url: string, drive: (socket: Socket) => void): Promise<string> {
  return (await rawExchange(url, drive)).response;
}

/** The status and JSON body of the last HTTP answer in `response`. */
function lastAnswer(response: string): { status: number; body: Record<string, unknown> } {
  const start = response.lastIndexOf("HTTP/1.1 ");
  const status = Number(response.slice(start + 9, start + 12));
  const body = response.slice(response.indexOf("\r\n\r\n", start) + 4);
  return { status, body: JSON.parse(body) as Record<string, unknown> };
}

interface LogRow {
  code: string;
  status: number;
  method: string;
  path: string;
  ip: string | null;
  operator_id: number | null;
  raw: Record<string, unknown>;
}

describe("postbacks refused before routing are logged", { timeout: 30_000 }, () => {
  let t: TestService;
  let f: Fixture;
  before(async () => {
    t = await startTestService("sqlite", { HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS) });
    f = await createFixture(t.store);
  });
  after(async () => {
    await t?.close();
  });

  /** The operator's request-log rows with `code`, read through the admin API (polled: logging is async). */
  async function logged(code: string, expected = 1): Promise<LogRow[]> {
    return until(async () => {
      const response = await fetch(`${t.url}/v1/request-log?operator_id=${f.operator.id}&code=${code}`, {
        headers: { authorization: `Bearer ${t.adminKey}` },
      });
      assert.equal(response.status, 200);
      const rows = ((await response.json()) as { data: LogRow[] }).data;
      return rows.length >= expected && rows;
    }, `${expected} ${code} row(s)`);
  }

  /**
   * How many rows the whole request log has once everything sent so far is written: a postback to an
   * unknown operator is sent and its row awaited. Rows are committed in the order they are
   * submitted, so a row due to any earlier request is in by then.
   */
  let barriers = 0;
  async function settledRowCount(): Promise<number> {
    const path = `/v1/postback/op_barrier_${++barriers}`;
    assert.equal((await fetch(`${t.url}${path}?event=ftd&txid=barrier`)).status, 404);
    const rows = await until(async () => {
      const all = await t.store.searchRequestLog({ limit: 1000 });
      return all.some((row) => row.path === path) && all;
    }, "the barrier's row");
    return rows.length;
  }

  test("headers that never complete → 408, not logged: node:http keeps nothing of them", async () => {
    const before = await settledRowCount();
    const response = await exchange(t.url, (socket) => {
      socket.write(`GET /v1/postback/${f.operator.key}?event=ftd&txid=slow HTTP/1.1\r\nHost: localhost\r\n`);
    });
    const answer = lastAnswer(response);
    assert.equal(answer.status, 408, response);
    assert.equal(answer.body["code"], "request_timeout");
    assert.equal(await settledRowCount(), before + 1, "the barrier's row alone");
    assert.equal((await t.store.listConversions({ operatorId: f.operator.id })).length, 0);
  });

  test("a malformed header → 400 and an invalid_request row", async () => {
    const response = await exchange(t.url, (socket) => {
      socket.write(
        `POST /v1/postback/${f.operator.key} HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n`,
      );
    });
    const answer = lastAnswer(response);
    assert.equal(answer.status, 400, response);
    assert.equal(answer.body["code"], "invalid_request");
    const rows = await logged("invalid_request");
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.method, "POST");
    assert.equal(rows[0]!.status, 400);
  });

  test("headers over the size limit → 400 and an invalid_request row", async () => {
    const response = await exchange(t.url, (socket) => {
      socket.write(
        `GET /v1/postback/${f.operator.key}?txid=big HTTP/1.1\r\nHost: localhost\r\n` +
          `X-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      );
    });
    const answer = lastAnswer(response);
    assert.equal(answer.status, 400, response);
    assert.match(String(answer.body["message"]), /headers are too large/);
    assert.equal((await logged("invalid_request", 2)).length, 2);
  });

  test("garbage and other paths are answered but not logged", async () => {
    const before = await settledRowCount();
    const garbage = await exchange(t.url, (socket) => {
      socket.write("\x16\x03\x01 not http at all\r\n\r\n");
    });
    assert.equal(lastAnswer(garbage).status, 400, garbage);
    const other = await exchange(t.url, (socket) => {
      socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n");
    });
    assert.equal(lastAnswer(other).status, 408, other);
    assert.equal(await settledRowCount(), before + 1, "the barrier's row alone");
  });

  test("a prompt postback on the same service is unaffected (and logged once)", async () => {
    const response = await fetch(`${t.url}/v1/postback/${f.operator.key}?event=ftd&txid=plain`);
    assert.equal(response.status, 401);
    const { code } = (await response.json()) as { code: string };
    const rows = await logged(code);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.raw["method"], "GET");
  });
});
