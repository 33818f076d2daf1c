import assert from "node:assert/strict";
import type { LookupAddress } from "node:dns";
import { createServer, get } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { LookupAll } from "../../../src/adapters/delivery/egress-guard.ts";
import { createEgressGuard, EGRESS_BLOCKED } from "../../../src/adapters/delivery/egress-guard.ts";

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

/** A fake DNS: a table of answers; records the names asked for. */
function fakeDns(table: Record<string, readonly LookupAddress[] | (() => readonly LookupAddress[])>) {
  const asked: string[] = [];
  const lookup: LookupAll = async (hostname) => {
    asked.push(hostname);
    const answer = table[hostname];
    if (answer === undefined) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
        code: "ENOTFOUND",
        syscall: "getaddrinfo",
      });
    }
    return typeof answer === "function" ? answer() : answer;
  };
  return { lookup, asked };
}

const noDns: LookupAll = async (hostname) => assert.fail(`no DNS lookup expected (${hostname})`);

describe("EgressGuard.check", () => {
  const dns = fakeDns({
    "public.example": [v4("93.184.216.34"), v6("2606:2800:220:1::")],
    "sneaky.example": [v4("10.0.0.5")],
    "mixed.example": [v4("93.184.216.34"), v4("192.168.1.10")],
    "mapped.example": [v6("::ffff:169.254.169.254")],
    "empty.example": [],
    "receiver.corp": [v4("10.1.2.3")],
  });
  const guard = createEgressGuard({ lookup: dns.lookup });

  it("accepts a public name whose every address is public", async () => {
    assert.deepEqual(await guard.check("https://public.example/pb?x=1"), { ok: true });
  });

  const refused: [url: string, reason: RegExp][] = [
    ["https://sneaky.example/", /sneaky\.example resolves to 10\.0\.0\.5 \(private/],
    ["http://mixed.example/", /resolves to 192\.168\.1\.10/],
    ["http://mapped.example/", /IPv4-mapped link-local/],
    ["http://empty.example/", /no address/],
    ["http://nowhere.example/", /DNS lookup of nowhere\.example failed \(ENOTFOUND\)/],
    ["http://127.0.0.1/", /loopback/],
    ["http://2130706433/", /127\.0\.0\.1 is loopback/],
    ["http://0x7f.1/", /loopback/],
    ["http://[::ffff:127.0.0.1]:8080/", /IPv4-mapped loopback/],
    ["http://169.254.169.254/latest/meta-data/", /link-local/],
    ["http://metadata.google.internal/computeMetadata/v1/", /name metadata\.google\.internal/],
    ["http://localhost:3000/", /name localhost/],
    ["ftp://public.example/", /scheme ftp: is not http or https/],
    ["file:///etc/passwd", /scheme file:/],
    ["javascript:alert(1)", /scheme javascript:/],
    ["not a url", /not a valid absolute URL/],
    ["http://user:pw@public.example/", /credentials/],
    ["http://[fe80::1%25eth0]/", /not a valid absolute URL/],
  ];
  for (const [url, reason] of refused) {
    it(`refuses ${url}`, async () => {
      const result = await guard.check(url);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
    });
  }

  it("checks literals without DNS", async () => {
    const literalGuard = createEgressGuard({ lookup: noDns });
    assert.deepEqual(await literalGuard.check("http://93.184.216.34/"), { ok: true });
    assert.deepEqual(await literalGuard.check("http://[2606:2800:220:1::]/"), { ok: true });
    assert.equal((await literalGuard.check("http://10.0.0.1/")).ok, false);
  });

  it("the allowlist opens 127.0.0.1 and listed hosts, nothing more", async () => {
    const open = createEgressGuard({
      allow: { cidrs: ["127.0.0.1"], hosts: ["receiver.corp"] },
      lookup: dns.lookup,
    });
    assert.deepEqual(await open.check("http://127.0.0.1:8080/"), { ok: true });
    assert.deepEqual(await open.check("http://receiver.corp/"), { ok: true });
    assert.equal((await open.check("http://127.0.0.2/")).ok, false);
    assert.equal((await open.check("http://sneaky.example/")).ok, false);
  });

  it("checkUrl tells invalid URLs from blocked addresses, synchronously", () => {
    assert.deepEqual(guard.checkUrl("ftp://x/"), {
      ok: false,
      error: "invalid_url",
      reason: "scheme ftp: is not http or https",
    });
    const blocked = guard.checkUrl("http://10.0.0.1/");
    assert.equal(blocked.ok, false);
    if (!blocked.ok) assert.equal(blocked.error, "blocked_address");
    const literal = guard.checkUrl("http://[2606:2800:220:1::]:81/a?b");
    assert.ok(literal.ok);
    assert.equal(literal.ip, "2606:2800:220:1::");
    const name = guard.checkUrl("https://public.example/");
    assert.ok(name.ok);
    assert.equal(name.ip, null);
  });
});

/** Calls the lookup hook the way net.connect does. */
function callLookup(
  lookup: ReturnType<typeof createEgressGuard>["lookup"],
  hostname: string,
  options: { all?: boolean; family?: number },
): Promise<{ error: NodeJS.ErrnoException | null; result: unknown }> {
  return new Promise((resolve) => {
    lookup(
      hostname,
      options as never,
      (error: NodeJS.ErrnoException | null, address: unknown, family?: number) =>
        resolve({ error, result: options.all ? address : { address, family } }),
    );
  });
}

describe("guard.lookup (the connection's DNS)", () => {
  const dns = fakeDns({
    "public.example": [v4("93.184.216.34"), v6("2606:2800:220:1::")],
    "mixed.example": [v4("93.184.216.34"), v4("127.0.0.1")],
  });
  const { lookup } = createEgressGuard({ lookup: dns.lookup });

  it("answers with checked addresses, one or all, honouring the family", async () => {
    assert.deepEqual(await callLookup(lookup, "public.example", {}), {
      error: null,
      result: { address: "93.184.216.34", family: 4 },
    });
    assert.deepEqual((await callLookup(lookup, "public.example", { all: true })).result, [
      v4("93.184.216.34"),
      v6("2606:2800:220:1::"),
    ]);
    assert.deepEqual((await callLookup(lookup, "public.example", { family: 6 })).result, {
      address: "2606:2800:220:1::",
      family: 6,
    });
  });

  it("fails the whole resolution when any address is blocked", async () => {
    for (const all of [false, true]) {
      const { error } = await callLookup(lookup, "mixed.example", { all });
      assert.equal(error?.code, EGRESS_BLOCKED);
      assert.match(error?.message ?? "", /127\.0\.0\.1/);
    }
  });

  it("passes DNS errors through", async () => {
    const { error } = await callLookup(lookup, "nowhere.example", {});
    assert.equal(error?.code, "ENOTFOUND");
  });
});

describe("no DNS rebinding between check and connect", () => {
  let server: ReturnType<typeof createServer>;
  let port = 0;
  let hits = 0;
  before(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end("hello");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  const fetchVia = (lookup: ReturnType<typeof createEgressGuard>["lookup"], host: string) =>
    new Promise<{ status?: number; code?: string }>((resolve) => {
      get({ host, port, path: "/", lookup, agent: false }, (res) => {
        res.resume();
        resolve({ status: res.statusCode });
      }).on("error", (error: NodeJS.ErrnoException) => resolve({ code: error.code }));
    });

  it("a name that answers public at check time and 127.0.0.1 at connect time is refused at connect", async () => {
    let calls = 0;
    const dns = fakeDns({
      "rebind.example": () => (calls++ === 0 ? [v4("93.184.216.34")] : [v4("127.0.0.1")]),
    });
    const guard = createEgressGuard({ lookup: dns.lookup });
    assert.deepEqual(await guard.check("http://rebind.example/"), { ok: true });
    assert.deepEqual(await fetchVia(guard.lookup, "rebind.example"), { code: EGRESS_BLOCKED });
    assert.equal(hits, 0);
  });

  it("connects to a checked address when the allowlist admits it", async () => {
    const dns = fakeDns({ "receiver.test": [v4("127.0.0.1")] });
    const guard = createEgressGuard({ allow: { cidrs: ["127.0.0.1/32"] }, lookup: dns.lookup });
    assert.deepEqual(await fetchVia(guard.lookup, "receiver.test"), { status: 200 });
    assert.equal(hits, 1);
  });
});
