import assert from "node:assert/strict";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import type { LookupAll } from "../../../src/adapters/delivery/egress-guard.ts";
import { createEgressGuard } from "../../../src/adapters/delivery/egress-guard.ts";
import { createHttpSender } from "../../../src/adapters/delivery/http-sender.ts";
import type { SendOptions } from "../../../src/app/delivery/sender-port.ts";
import { PATIENCE_MS } from "../../helpers/until.ts";

/** For sends that are answered at once: limits that only a broken run reaches, however busy the machine. */
const FAST: SendOptions = {
  connectTimeoutMs: PATIENCE_MS,
  responseTimeoutMs: PATIENCE_MS,
  deadlineMs: PATIENCE_MS,
};

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

/** A receiver on 127.0.0.1:0: routes by path, records what it saw and which connections it had. */
async function receiver(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      handle(req, res);
    });
  });
  server.on("connection", (socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    seen,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    connections: () => connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

type Receiver = Awaited<ReturnType<typeof receiver>>;

const dns: LookupAll = async (hostname) => {
  if (hostname === "receiver.test") return [{ address: "127.0.0.1", family: 4 }];
  if (hostname === "never.test") return new Promise(() => {});
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
    code: "ENOTFOUND",
    syscall: "getaddrinfo",
  });
};

describe("http sender against real local receivers", () => {
  let rx: Receiver;
  let target: Receiver;
  let dripTimer: NodeJS.Timeout | undefined;
  const guard = createEgressGuard({ allow: { cidrs: ["127.0.0.1"], hosts: ["never.test"] }, lookup: dns });
  const sender = createHttpSender({ guard, maxSocketsPerOrigin: 4 });

  before(async () => {
    target = await receiver((_req, res) => res.end("target reached"));
    rx = await receiver((req, res) => {
      const path = (req.url ?? "").split("?")[0];
      if (path === "/ok") res.end("ok: thanks");
      else if (path === "/500") res.writeHead(500).end("boom");
      else if (path === "/410") res.writeHead(410).end("gone");
      else if (path === "/429") res.writeHead(429, { "retry-after": "30" }).end("slow down");
      else if (path === "/503-date")
        res.writeHead(503, { "retry-after": new Date(Date.now() + 120_000).toUTCString() }).end();
      else if (path === "/302") res.writeHead(302, { location: target.url("/landing") }).end();
      else if (path === "/hang") return;
      else if (path === "/drip") {
        res.writeHead(200, { "content-type": "text/plain" });
        dripTimer = setInterval(() => res.write("."), 50);
        res.on("close", () => clearInterval(dripTimer));
      } else if (path === "/huge") {
        // Endless: a sender that read it all would never finish (the deadline would stop it).
        res.writeHead(200, { "content-type": "text/plain" });
        const chunk = Buffer.alloc(64 * 1024, "x");
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once("drain", pump);
        };
        pump();
      } else res.writeHead(404).end();
    });
  });
  after(() => {
    clearInterval(dripTimer);
    sender.close();
    rx.close();
    target.close();
  });

  it("200: ok, with the body snippet, headers and POST body delivered", async () => {
    const result = await sender.send(
      {
        url: rx.url("/ok?a=1"),
        method: "POST",
        headers: { "content-type": "application/json", "x-k": "v" },
        body: '{"é":1}',
      },
      FAST,
    );
    assert.deepEqual(
      { ...result, latencyMs: 0 },
      {
        ok: true,
        status: 200,
        error: null,
        detail: null,
        latencyMs: 0,
        responseSnippet: "ok: thanks",
        retryAfterSeconds: null,
      },
    );
    assert.ok(Number.isInteger(result.latencyMs) && result.latencyMs >= 0, `${result.latencyMs}`);
    const seen = rx.seen.at(-1)!;
    assert.equal(seen.method, "POST");
    assert.equal(seen.url, "/ok?a=1");
    assert.equal(seen.body, '{"é":1}');
    assert.equal(seen.headers["content-length"], String(Buffer.byteLength('{"é":1}')));
    assert.equal(seen.headers["x-k"], "v");
    assert.equal(seen.headers.host, `127.0.0.1:${rx.port}`);
  });

  it("500 and 410: http_error with the status and snippet", async () => {
    const r500 = await sender.send({ url: rx.url("/500"), method: "GET", headers: {} }, FAST);
    assert.deepEqual(
      [r500.ok, r500.status, r500.error, r500.responseSnippet],
      [false, 500, "http_error", "boom"],
    );
    const r410 = await sender.send({ url: rx.url("/410"), method: "GET", headers: {} }, FAST);
    assert.deepEqual([r410.ok, r410.status, r410.error, r410.detail], [false, 410, "http_error", "HTTP 410"]);
  });

  it("429 and 503 carry Retry-After in seconds (delta or HTTP date)", async () => {
    const r429 = await sender.send({ url: rx.url("/429"), method: "GET", headers: {} }, FAST);
    assert.deepEqual([r429.status, r429.error, r429.retryAfterSeconds], [429, "http_error", 30]);
    const r503 = await sender.send({ url: rx.url("/503-date"), method: "GET", headers: {} }, FAST);
    assert.equal(r503.status, 503);
    // A date 120 s ahead, read as seconds from now (less the time the answer took to arrive).
    assert.ok(
      r503.retryAfterSeconds !== null && r503.retryAfterSeconds > 60 && r503.retryAfterSeconds <= 121,
      `${r503.retryAfterSeconds}`,
    );
  });

  it("302: 'redirect', never followed", async () => {
    const before = target.seen.length;
    const result = await sender.send({ url: rx.url("/302"), method: "POST", headers: {}, body: "x" }, FAST);
    assert.deepEqual([result.ok, result.status, result.error], [false, 302, "redirect"]);
    assert.match(result.detail ?? "", /not followed/);
    // A followed redirect would have reached the target before send() returned.
    assert.equal(target.seen.length, before);
  });

  it("a receiver that never answers: response_timeout", async () => {
    const options = { connectTimeoutMs: 1000, responseTimeoutMs: 150, deadlineMs: 3000 };
    const result = await sender.send({ url: rx.url("/hang"), method: "GET", headers: {} }, options);
    // The error names the limit that ended it (the 3 s deadline would say deadline_exceeded).
    assert.deepEqual([result.ok, result.status, result.error], [false, null, "response_timeout"]);
    assert.ok(result.latencyMs >= 140, `not before the 150 ms limit: ${result.latencyMs}`);
  });

  it("a receiver that drips its body: deadline_exceeded", async () => {
    const options = { connectTimeoutMs: 1000, responseTimeoutMs: 1000, deadlineMs: 300 };
    const result = await sender.send({ url: rx.url("/drip"), method: "GET", headers: {} }, options);
    assert.deepEqual([result.ok, result.status, result.error], [false, 200, "deadline_exceeded"]);
    assert.ok(result.latencyMs >= 290, `not before the 300 ms deadline: ${result.latencyMs}`);
    assert.match(result.responseSnippet, /^\.+$/);
  });

  it("an endless body: only the first KB is read, then the connection is dropped", async () => {
    const result = await sender.send({ url: rx.url("/huge"), method: "GET", headers: {} }, FAST);
    // ok, not deadline_exceeded: it stopped reading instead of waiting for an end that never comes.
    assert.deepEqual([result.ok, result.status, result.error], [true, 200, null]);
    assert.equal(result.responseSnippet, "x".repeat(1024));
  });

  it("connection refused: network_error", async () => {
    const closed = await receiver(() => {});
    const url = closed.url("/");
    closed.close();
    const result = await sender.send({ url, method: "GET", headers: {} }, FAST);
    assert.deepEqual([result.ok, result.status, result.error], [false, null, "network_error"]);
    assert.match(result.detail ?? "", /ECONNREFUSED/);
  });

  it("a DNS answer that never comes: connect_timeout", async () => {
    const options = { connectTimeoutMs: 100, responseTimeoutMs: 1000, deadlineMs: 3000 };
    const result = await sender.send({ url: "http://never.test/", method: "GET", headers: {} }, options);
    assert.deepEqual([result.ok, result.error], [false, "connect_timeout"]);
  });

  it("keeps connections alive across sends", async () => {
    const before = rx.connections();
    for (let i = 0; i < 20; i++) {
      const result = await sender.send({ url: rx.url("/ok"), method: "GET", headers: {} }, FAST);
      assert.equal(result.ok, true);
    }
    assert.ok(rx.connections() - before <= 1, `${rx.connections() - before} new connections`);
  });

  it("many concurrent sends share at most maxSocketsPerOrigin connections", async () => {
    const before = rx.connections();
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        sender.send({ url: rx.url("/ok"), method: "GET", headers: {} }, FAST),
      ),
    );
    assert.ok(results.every((r) => r.ok));
    assert.ok(rx.connections() - before <= 4);
  });
});

describe("http sender and dropped connections", () => {
  it("a pooled connection reset by the receiver is retried once on a fresh one", async () => {
    const perSocket = new WeakMap<object, number>();
    const rx = await receiver((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n === 2) req.socket.destroy();
      else res.end("fine");
    });
    const sender = createHttpSender({ guard: createEgressGuard({ allow: { cidrs: ["127.0.0.1"] } }) });
    try {
      const first = await sender.send({ url: rx.url("/"), method: "GET", headers: {} }, FAST);
      const second = await sender.send({ url: rx.url("/"), method: "GET", headers: {} }, FAST);
      assert.deepEqual([first.ok, second.ok, second.responseSnippet], [true, true, "fine"]);
      assert.equal(rx.seen.length, 3);
      assert.equal(rx.connections(), 2);
    } finally {
      sender.close();
      rx.close();
    }
  });

  it("a fresh connection closed without an answer is a network_error", async () => {
    const rx = await receiver((req) => req.socket.destroy());
    const sender = createHttpSender({ guard: createEgressGuard({ allow: { cidrs: ["127.0.0.1"] } }) });
    try {
      const result = await sender.send({ url: rx.url("/"), method: "GET", headers: {} }, FAST);
      assert.deepEqual([result.ok, result.status, result.error], [false, null, "network_error"]);
      assert.equal(rx.seen.length, 1);
    } finally {
      sender.close();
      rx.close();
    }
  });
});

describe("http sender refusals", () => {
  let rx: Receiver;
  const guard = createEgressGuard({ lookup: dns });
  const sender = createHttpSender({ guard });
  before(async () => {
    rx = await receiver((_req, res) => res.end("should not be reached"));
  });
  after(() => {
    sender.close();
    rx.close();
  });

  const blocked = (port: number) => [
    `http://127.0.0.1:${port}/`,
    `http://2130706433:${port}/`,
    `http://0x7f.1:${port}/`,
    `http://0177.0.0.1:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://receiver.test:${port}/`,
    `http://localhost:${port}/`,
  ];

  it("every spelling of loopback, and a name resolving to it, is blocked_address; nothing arrives", async () => {
    for (const url of blocked(rx.port)) {
      const result = await sender.send({ url, method: "POST", headers: {}, body: "x" }, FAST);
      assert.deepEqual([result.ok, result.status, result.error], [false, null, "blocked_address"], url);
    }
    assert.equal(rx.seen.length, 0);
    assert.equal(rx.connections(), 0);
  });

  it("bad URLs are invalid_url; unknown names are dns_failure", async () => {
    for (const url of ["ftp://example.com/", "nonsense", "http://u:p@example.com/"]) {
      const result = await sender.send({ url, method: "GET", headers: {} }, FAST);
      assert.equal(result.error, "invalid_url", url);
    }
    const result = await sender.send({ url: "http://nowhere.test/", method: "GET", headers: {} }, FAST);
    assert.deepEqual([result.ok, result.error], [false, "dns_failure"]);
  });

  it("a header node:http refuses is invalid_url, not a crash", async () => {
    const guardOpen = createEgressGuard({ allow: { cidrs: ["127.0.0.1"] } });
    const open = createHttpSender({ guard: guardOpen });
    const result = await open.send({ url: rx.url("/"), method: "GET", headers: { "x-bad": "a\nb" } }, FAST);
    open.close();
    assert.equal(result.error, "invalid_url");
  });
});
