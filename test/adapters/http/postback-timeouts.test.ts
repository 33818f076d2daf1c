/**
 * Slow clients are cut off: headers that take longer than HEADERS_TIMEOUT_MS and bodies that take
 * longer than REQUEST_TIMEOUT_MS get a JSON 408 and a closed connection, never before the limit.
 * Promptly: Node checks these limits on an interval that build-server.ts shortens, and the server
 * is checked to run with it (how soon a timer fires on a busy machine is not asserted).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { checkingIntervalMs } from "../../../src/adapters/http/build-server.ts";
import { createFixture, startTestService, type TestService } from "../../helpers/service.ts";
import { until } from "../../helpers/until.ts";
import { type RawExchange, rawExchange } from "./postback-kit.ts";

const HEADERS_TIMEOUT_MS = 300;
const REQUEST_TIMEOUT_MS = 800;

type Cut = RawExchange;
/** A raw connection that writes slowly, resolved when the server cuts it off. */
const slowClient = rawExchange;

function assertTimedOut(cut: Cut, limitMs: number): void {
  assert.match(cut.response, /^HTTP\/1\.1 408 /, cut.response);
  const body = cut.response.slice(cut.response.indexOf("\r\n\r\n") + 4);
  assert.equal(JSON.parse(body).code, "request_timeout");
  assert.ok(cut.elapsedMs >= limitMs - 50, `cut after ${cut.elapsedMs} ms, before the ${limitMs} ms limit`);
}

test("the timeout check interval follows the smallest limit, within 10 ms – 1 s", () => {
  assert.equal(checkingIntervalMs(300, 800), 75);
  assert.equal(checkingIntervalMs(10_000, 30_000), 1000);
  assert.equal(checkingIntervalMs(20, 20), 10);
});

describe("slow clients are cut off", { timeout: 120_000 }, () => {
  let t: TestService;
  const timers: NodeJS.Timeout[] = [];
  before(async () => {
    t = await startTestService("sqlite", {
      HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    });
  });
  after(async () => {
    for (const timer of timers) clearInterval(timer);
    await t?.close();
  });

  test("the server checks the limits every 75 ms, not every 30 s (Node's default)", () => {
    // node:http keeps the constructor's option as a property (@types/node does not declare it).
    const server = t.service.app.server as typeof t.service.app.server & {
      connectionsCheckingInterval: number;
    };
    assert.deepEqual(
      [server.headersTimeout, server.requestTimeout, server.connectionsCheckingInterval],
      [HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, checkingIntervalMs(HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS)],
    );
  });

  test("headers that never finish → 408 after headersTimeout", async () => {
    const cut = await slowClient(t.url, (socket) => {
      socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n");
    });
    assertTimedOut(cut, HEADERS_TIMEOUT_MS);
  });

  test("headers trickled a byte at a time (slowloris) → 408 after headersTimeout", async () => {
    const cut = await slowClient(t.url, (socket) => {
      socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
      timers.push(setInterval(() => socket.writable && socket.write("a"), 50));
    });
    assertTimedOut(cut, HEADERS_TIMEOUT_MS);
  });

  test("a postback body sent too slowly → 408 after requestTimeout, nothing stored", async () => {
    const f = await createFixture(t.store);
    const body = JSON.stringify({ event: "registration", txid: "slow-1", player_id: "p" });
    const cut = await slowClient(t.url, (socket) => {
      socket.write(
        `POST /v1/postback/${f.operator.key} HTTP/1.1\r\nHost: localhost\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
      );
      timers.push(setInterval(() => socket.writable && socket.write(" "), 100));
    });
    assertTimedOut(cut, REQUEST_TIMEOUT_MS);
    assert.equal((await t.store.listConversions({ operatorId: f.operator.id })).length, 0);
    // The half-read request is in the request log as a timeout, with the peer address.
    const logged = await until(async () => {
      const rows = await t.store.searchRequestLog({ operatorId: f.operator.id });
      return rows.length > 0 && rows;
    }, "the request-log row");
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.code, "request_timeout");
    assert.equal(logged[0]!.status, 408);
    assert.equal(logged[0]!.ip, "127.0.0.1");
  });

  test("a prompt request on the same service is unaffected", async () => {
    const response = await fetch(`${t.url}/healthz`);
    assert.equal(response.status, 200);
  });
});
