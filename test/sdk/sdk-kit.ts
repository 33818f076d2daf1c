/**
 * Helpers for the SDK's tests against a real Postwire service: a click to attribute to, and a
 * loopback HTTP proxy of the tests' own that fails chosen requests the way a load balancer or a
 * network does before forwarding the rest to the real server.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { startTestService, type TestService } from "../helpers/service.ts";

/**
 * For the suite it is called in: a real service (SQLite: the SDK only sees HTTP) started before its
 * tests, and a temporary folder; both removed after them.
 */
export function suiteService(tempPrefix: string): { readonly dir: string; readonly t: TestService } {
  const dir = mkdtempSync(path.join(tmpdir(), tempPrefix));
  let service: TestService | undefined;
  before(async () => {
    service = await startTestService("sqlite");
  });
  after(async () => {
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    get t() {
      assert.ok(service, "the service is started before the suite's tests");
      return service;
    },
  };
}

/** Clicks the link (GET /c/{code}) and returns the click id Postwire put in the landing URL. */
export async function clickId(serviceUrl: string, linkCode: string): Promise<string> {
  const response = await fetch(`${serviceUrl}/c/${linkCode}`, { redirect: "manual" });
  assert.equal(response.status, 302);
  const cid = new URL(response.headers.get("location")!).searchParams.get("cid");
  assert.ok(cid, "the landing URL carries the click id");
  return cid;
}

/**
 * What the proxy does with one request: answer 503 with `Retry-After: 1` itself, reset the
 * connection without an answer, forward it, or forward it and then reset the connection instead
 * of passing the answer on (committed, but the client cannot know).
 */
export type ProxyAction = "503" | "reset" | "forward" | "forward-then-reset";

export interface ProxiedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface TestProxy {
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

const PASSED_BACK = ["content-type", "idempotent-replayed", "retry-after"];

/** A proxy on 127.0.0.1:0 to `upstream`; `plan(n)` says what to do with the n-th request (from 0). */
export async function startProxy(upstream: string, plan: (n: number) => ProxyAction): Promise<TestProxy> {
  const requests: ProxiedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const action = plan(requests.length);
    requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    if (action === "503") {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
      res.end(JSON.stringify({ code: "storage_unavailable", message: "try again" }));
      return;
    }
    if (action === "reset") {
      req.socket.resetAndDestroy();
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string" && !["host", "connection", "content-length"].includes(name)) {
        headers[name] = value;
      }
    }
    const answer = await fetch(`${upstream}${req.url}`, {
      method: req.method!,
      headers,
      ...(req.method === "POST" ? { body } : {}),
    });
    const text = await answer.text();
    if (action === "forward-then-reset") {
      req.socket.resetAndDestroy();
      return;
    }
    const back: Record<string, string> = {};
    for (const name of PASSED_BACK) {
      const value = answer.headers.get(name);
      if (value !== null) back[name] = value;
    }
    res.writeHead(answer.status, back);
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
