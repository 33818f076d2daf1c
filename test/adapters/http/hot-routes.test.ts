/**
 * The node:http fast path (src/adapters/http/hot-routes.ts) answers GET postbacks and clicks exactly
 * as the Fastify routes do. `app.inject` never passes through the server's listener, so it always
 * reaches the Fastify routes: each case is sent both ways and the answers compared. Requests the
 * fast path must leave alone (percent-encoded keys, HEAD, a GET with a body) still get the routes'
 * answers over the wire.
 */
import assert from "node:assert/strict";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { systemClock } from "../../../src/adapters/clock-and-ids.ts";
import { createHotRoutes } from "../../../src/adapters/http/hot-routes.ts";
import type { ClickRecorder } from "../../../src/app/clicks/record-click.ts";
import type { PostbackIngestor } from "../../../src/app/ingest/ingest-postback.ts";
import { ERRORS } from "../../../src/domain/errors.ts";
import { createFixture, type Fixture, startTestService, type TestService } from "../../helpers/service.ts";
import { signedQuery } from "./postback-kit.ts";

interface Seen {
  readonly status: number;
  readonly headers: Record<string, string | undefined>;
  readonly body: string;
}

const COMPARED = ["content-type", "retry-after", "cache-control", "allow"] as const;

function pick(headers: Record<string, string | string[] | number | undefined>): Seen["headers"] {
  return Object.fromEntries(
    COMPARED.map((name) => [name, headers[name] === undefined ? undefined : String(headers[name])]),
  );
}

/** Over the real listener, with exactly the headers given (fetch would add its own). */
function wire(
  t: TestService,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
) {
  const url = new URL(t.url);
  return new Promise<Seen & { requestId: string | undefined; location: string | undefined }>(
    (resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, method, path, headers, agent: false },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: pick(res.headers),
              body: text,
              requestId: res.headers["x-request-id"] as string | undefined,
              location: res.headers.location,
            }),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    },
  );
}

async function routed(
  t: TestService,
  method: "GET" | "HEAD",
  path: string,
  headers: Record<string, string> = {},
) {
  const res = await t.service.app.inject({ method, url: path, headers });
  return {
    status: res.statusCode,
    headers: pick(res.headers),
    body: res.body,
    requestId: res.headers["x-request-id"] as string | undefined,
    location: res.headers["location"] as string | undefined,
  };
}

/** Bodies with per-request values (conversion ids, click ids) made comparable. */
const shape = (body: string) => body.replace(/"cv_[0-9A-Z]+"/g, '"cv_…"');

describe("hot routes: the same answers as the Fastify routes", () => {
  let t: TestService;
  let f: Fixture;
  let n = 0;
  const txid = () => `fp-${process.pid}-${++n}`;
  const postbackPath = (key: string, params: Array<[string, string]>) =>
    `/v1/postback/${key}?${signedQuery(f.secret, params)}`;
  before(async () => {
    t = await startTestService("sqlite");
    f = await createFixture(t.store);
  });
  after(() => t.close());

  test("accepted, duplicate, refused and unknown-operator postbacks", async () => {
    const fresh = (id: string): Array<[string, string]> => [
      ["event", "ftd"],
      ["txid", id],
      ["player_id", `p-${id}`],
      ["amount", "10.00"],
      ["currency", "EUR"],
    ];
    const cases: Array<{ name: string; setup?: boolean; paths: () => [string, string] }> = [
      {
        name: "accepted",
        paths: () => [
          postbackPath(f.operator.key, fresh(txid())),
          postbackPath(f.operator.key, fresh(txid())),
        ],
      },
      {
        name: "duplicate replay",
        setup: true,
        paths: () => {
          const path = postbackPath(f.operator.key, fresh(txid()));
          return [path, path];
        },
      },
      {
        name: "bad signature",
        paths: () => {
          const path = postbackPath(f.operator.key, fresh(txid())).replace(
            /sig=([0-9a-f])/,
            (_, c: string) => `sig=${c === "0" ? "1" : "0"}`,
          );
          return [path, path];
        },
      },
      {
        name: "missing field",
        paths: () => {
          const path = postbackPath(f.operator.key, [["event", "ftd"]]);
          return [path, path];
        },
      },
      {
        name: "unknown operator",
        paths: () => {
          const path = postbackPath("op_nobody", fresh(txid()));
          return [path, path];
        },
      },
    ];
    for (const c of cases) {
      const [first, second] = c.paths();
      if (c.setup) await wire(t, "GET", first);
      const overWire = await wire(t, "GET", first);
      const viaRoutes = await routed(t, "GET", second);
      assert.equal(overWire.status, viaRoutes.status, c.name);
      assert.deepEqual(overWire.headers, viaRoutes.headers, c.name);
      assert.equal(shape(overWire.body), shape(viaRoutes.body), c.name);
      assert.ok(overWire.requestId, `${c.name}: x-request-id`);
    }
  });

  test("a client's X-Request-Id is echoed, a malformed one replaced", async () => {
    const path = postbackPath(f.operator.key, [
      ["event", "registration"],
      ["txid", txid()],
      ["player_id", "p"],
    ]);
    assert.equal((await wire(t, "GET", path, { "x-request-id": "abc-123" })).requestId, "abc-123");
    const replaced = (await wire(t, "GET", path, { "x-request-id": "bad id" })).requestId;
    assert.ok(replaced && replaced !== "bad id");
  });

  test("clicks: redirect and unknown link", async () => {
    const overWire = await wire(t, "GET", `/c/${f.link.code}?sub1=a`);
    const viaRoutes = await routed(t, "GET", `/c/${f.link.code}?sub1=a`);
    assert.equal(overWire.status, 302);
    assert.equal(viaRoutes.status, 302);
    assert.deepEqual(overWire.headers, viaRoutes.headers);
    assert.equal(overWire.body, viaRoutes.body);
    const strip = (location: string | undefined) => location?.replace(/cid=[^&]+/, "cid=…");
    assert.equal(strip(overWire.location), strip(viaRoutes.location));
    const missingWire = await wire(t, "GET", "/c/no-such-link");
    const missingRoutes = await routed(t, "GET", "/c/no-such-link");
    assert.equal(missingWire.status, 404);
    assert.deepEqual({ ...missingWire, requestId: undefined }, { ...missingRoutes, requestId: undefined });
  });

  test("requests the fast path leaves to Fastify are answered as before", async () => {
    // A percent-encoded key: decoded by the router, the same operator.
    const encoded = f.operator.key.replace("_", "%5F");
    const viaEncoded = await wire(
      t,
      "GET",
      postbackPath(encoded, [
        ["event", "registration"],
        ["txid", txid()],
        ["player_id", "q"],
      ]),
    );
    assert.equal(viaEncoded.status, 200, viaEncoded.body);
    // HEAD is refused, never recorded.
    const head = await wire(
      t,
      "HEAD",
      postbackPath(f.operator.key, [
        ["event", "registration"],
        ["txid", txid()],
      ]),
    );
    assert.equal(head.status, 405);
    assert.equal(head.headers["allow"], "GET, POST");
    const headClick = await wire(t, "HEAD", `/c/${f.link.code}`);
    assert.equal(headClick.status, 405);
    // A GET with a body: the body is not part of a GET postback; still answered.
    const withBody = await wire(
      t,
      "GET",
      postbackPath(f.operator.key, [
        ["event", "registration"],
        ["txid", txid()],
        ["player_id", "r"],
      ]),
      { "content-type": "text/plain", "content-length": "5" },
      "hello",
    );
    assert.equal(withBody.status, 200, withBody.body);
    // Unreserved characters only: anything else goes to the router, which finds no such link.
    assert.equal((await wire(t, "GET", "/c/a%20b")).status, 404);
  });
});

describe("hot routes: closing", () => {
  test("once closed, every request is left to Fastify", () => {
    const fast = createHotRoutes({
      ingestor: {} as PostbackIngestor,
      clicks: {} as ClickRecorder,
      clock: systemClock,
      log: { warn() {}, error() {} } as never,
    });
    const request = { method: "GET", url: "/c/abc", headers: {} } as never;
    fast.close();
    assert.equal(fast.handle(request, {} as never), false);
  });
});

describe("hot routes: a use case that throws", () => {
  interface Logged {
    readonly level: "warn" | "error";
    readonly fields: Record<string, unknown>;
    readonly message: string;
  }

  /** The fast path alone on a real listener; what it does not take is answered 418. */
  async function listen(ingestor: Partial<PostbackIngestor>, clicks: Partial<ClickRecorder> = {}) {
    const logged: Logged[] = [];
    const fast = createHotRoutes({
      ingestor: ingestor as PostbackIngestor,
      clicks: clicks as ClickRecorder,
      clock: systemClock,
      log: {
        warn: (fields: Record<string, unknown>, message: string) =>
          logged.push({ level: "warn", fields, message }),
        error: (fields: Record<string, unknown>, message: string) =>
          logged.push({ level: "error", fields, message }),
      } as never,
    });
    const server = createServer((request, response) => {
      if (!fast.handle(request, response)) response.writeHead(418).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
      logged,
      get: async (path: string) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { "x-request-id": "rid-1" } });
        return { status: res.status, headers: res.headers, body: await res.text() };
      },
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  const boom = () => Promise.reject(new Error("boom"));

  test("a postback whose handling throws is answered and logged through reject(internal_error)", async () => {
    const rejected: Array<{ code: string; operatorKey: string; rawQuery: string }> = [];
    const s = await listen({
      handle: boom,
      reject: async (request, code) => {
        rejected.push({ code, operatorKey: request.operatorKey, rawQuery: request.rawQuery });
        return { status: 500, code: "internal_error", body: '{"code":"internal_error","message":"m"}' };
      },
    });
    try {
      const res = await s.get("/v1/postback/op_a?txid=1");
      assert.equal(res.status, 500);
      assert.equal(res.body, '{"code":"internal_error","message":"m"}');
      assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
      assert.equal(res.headers.get("x-request-id"), "rid-1");
      assert.deepEqual(rejected, [{ code: "internal_error", operatorKey: "op_a", rawQuery: "txid=1" }]);
      assert.deepEqual(
        s.logged.map((l) => [l.level, l.message, l.fields["reqId"], (l.fields["err"] as Error).message]),
        [["error", "postback failed", "rid-1", "boom"]],
      );
    } finally {
      await s.close();
    }
  });

  test("when logging the failure throws too, the answer is the catalogue's internal_error", async () => {
    const s = await listen({ handle: boom, reject: boom });
    try {
      const res = await s.get("/v1/postback/op_a?txid=1");
      assert.equal(res.status, 500);
      assert.deepEqual(JSON.parse(res.body), {
        code: "internal_error",
        message: ERRORS.internal_error.message,
      });
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.equal(res.headers.get("x-request-id"), "rid-1");
      assert.doesNotMatch(res.body, /boom/, "never the error's own message");
    } finally {
      await s.close();
    }
  });

  test("a postback not stored (5xx answer) is sent with its retry-after and logged as a warning", async () => {
    const s = await listen({
      handle: async () => ({ status: 503, code: "storage_unavailable", body: "{}", retryAfter: 2 }),
    });
    try {
      const res = await s.get("/v1/postback/op_a");
      assert.equal(res.status, 503);
      assert.equal(res.headers.get("retry-after"), "2");
      assert.deepEqual(
        s.logged.map((l) => [l.level, l.message, l.fields["status"]]),
        [["warn", "postback not stored", 503]],
      );
    } finally {
      await s.close();
    }
  });

  test("a click whose recording throws is answered internal_error and logged", async () => {
    const s = await listen({}, { record: boom });
    try {
      const res = await s.get("/c/abc?sub1=x");
      assert.equal(res.status, 500);
      assert.deepEqual(JSON.parse(res.body), {
        code: "internal_error",
        message: ERRORS.internal_error.message,
      });
      assert.equal(res.headers.get("x-request-id"), "rid-1");
      assert.deepEqual(
        s.logged.map((l) => [l.level, l.message]),
        [["error", "click failed"]],
      );
      // Not taken: answered by whatever comes after the fast path.
      assert.equal((await s.get("/c/a%20b")).status, 418);
    } finally {
      await s.close();
    }
  });
});
