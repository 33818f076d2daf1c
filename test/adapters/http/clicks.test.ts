/** GET /c/{code}: 302 with substituted, encoded macros; self-verifying click ids; what is stored. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { verifyClickId } from "../../../src/domain/click-id.ts";
import { encodeSecret } from "../../../src/domain/signing.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { createFixture, startTestService, type TestService } from "../../helpers/service.ts";
import { secretBytes } from "./postback-kit.ts";

const CLICK_SECRET = encodeSecret(Buffer.alloc(32, 7));
const TRICKY = "a&b=c#d/e f?g%h+ü😀";

async function click(url: string, path: string, headers: Record<string, string> = {}) {
  return fetch(`${url}${path}`, { redirect: "manual", headers });
}

for (const engine of await availableEngines()) {
  describe(`click tracking (${engine})`, { timeout: 60_000 }, () => {
    let t: TestService;
    before(async () => {
      t = await startTestService(engine, { CLICK_ID_SECRET: CLICK_SECRET });
    });
    after(() => t?.close());

    test("302 to the landing URL with every macro substituted and URL-encoded", async () => {
      const f = await createFixture(t.store);
      await t.store.links.update(
        f.link.id,
        {
          landingUrlTemplate:
            "https://casino.example/p/{sub2}?cid={click_id}&s1={sub1}&s3={sub3}&s4={sub4}&s5={sub5}&aff={affiliate_id}&l={link_id}&pg={program_id}&x={nope}",
        },
        Date.now(),
      );
      const query = new URLSearchParams([
        ["sub1", TRICKY],
        ["sub2", "../admin"],
        ["sub3", "{click_id}"],
        ["sub5", "five"],
      ]);
      const response = await click(t.url, `/c/${f.link.code}?${query}`);
      assert.equal(response.status, 302);
      assert.equal(response.headers.get("cache-control"), "no-store");
      const raw = response.headers.get("location")!;
      const location = new URL(raw);
      assert.equal(location.origin, "https://casino.example");
      // A value can neither add path segments nor parameters.
      assert.equal(location.pathname, "/p/..%2Fadmin");
      assert.ok(raw.includes(`s1=${encodeURIComponent(TRICKY)}`), raw);
      assert.equal(location.searchParams.get("s1"), TRICKY);
      assert.equal(location.searchParams.get("s3"), "{click_id}", "values are not expanded again");
      assert.equal(location.searchParams.get("s4"), "");
      assert.equal(location.searchParams.get("s5"), "five");
      assert.equal(location.searchParams.get("aff"), String(f.affiliate.id));
      assert.equal(location.searchParams.get("l"), String(f.link.id));
      assert.equal(location.searchParams.get("pg"), String(f.program.id));
      assert.equal(location.searchParams.get("x"), "");
      assert.equal([...location.searchParams.keys()].length, 9);
      assert.equal(location.hash, "");
    });

    test("click ids are ≤ 40 URL-safe characters, unique, and verify to their link", async () => {
      const f = await createFixture(t.store);
      const ids = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const response = await click(t.url, `/c/${f.link.code}`);
        const id = new URL(response.headers.get("location")!).searchParams.get("cid")!;
        assert.ok(id.length <= 40, id);
        assert.match(id, /^[A-Za-z0-9_-]+$/);
        const parts = verifyClickId([secretBytes(CLICK_SECRET)], id);
        assert.ok(parts.ok);
        assert.equal(parts.value.linkId, f.link.id);
        assert.ok(Math.abs(parts.value.issuedAtSeconds - Date.now() / 1000) < 60);
        ids.add(id);
      }
      assert.equal(ids.size, 5);
      const stored = await t.store.listClicks({ linkId: f.link.id });
      assert.deepEqual(new Set(stored.map((c) => c.clickId)), ids);
    });

    test("sub1–sub5, user agent and referer are stored; long values are clipped", async () => {
      const f = await createFixture(t.store);
      const query = new URLSearchParams([
        ["sub1", TRICKY],
        ["sub2", "b"],
        ["sub3", "c"],
        ["sub4", "x".repeat(1000)],
        ["sub5", "e"],
        ["sub6", "ignored"],
      ]);
      const response = await click(t.url, `/c/${f.link.code}?${query}`, {
        "user-agent": "Mozilla/5.0 (Test) Ünïcode",
        referer: "https://news.example/article?id=1",
      });
      assert.equal(response.status, 302);
      const [row] = await t.store.listClicks({ linkId: f.link.id });
      assert.deepEqual(row?.subs.slice(0, 3), [TRICKY, "b", "c"]);
      assert.equal(row?.subs[3]?.length, 256);
      assert.equal(row?.subs[4], "e");
      assert.equal(row?.userAgent, "Mozilla/5.0 (Test) Ünïcode");
      assert.equal(row?.referer, "https://news.example/article?id=1");
      assert.equal(row?.affiliateId, f.affiliate.id);
      assert.equal(row?.programId, f.program.id);
    });

    test("unknown and paused links → 404 HTML page, nothing stored", async () => {
      const f = await createFixture(t.store);
      const paused = await t.store.links.create(
        {
          code: `p${f.link.code}`,
          affiliateId: f.affiliate.id,
          programId: f.program.id,
          status: "paused",
          landingUrlTemplate: null,
        },
        Date.now(),
      );
      for (const code of ["does-not-exist", paused.code]) {
        const response = await click(t.url, `/c/${code}`);
        assert.equal(response.status, 404);
        assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
        assert.match(await response.text(), /Link not found/);
      }
      assert.equal((await t.store.listClicks({ linkId: paused.id })).length, 0);
    });

    test("a paused link goes to the program's fallback URL when one is set", async () => {
      const f = await createFixture(t.store);
      await t.store.programs.update(
        f.program.id,
        { fallbackUrl: "https://casino.example/closed" },
        Date.now(),
      );
      const paused = await t.store.links.create(
        {
          code: `f${f.link.code}`,
          affiliateId: f.affiliate.id,
          programId: f.program.id,
          status: "paused",
          landingUrlTemplate: null,
        },
        Date.now(),
      );
      const response = await click(t.url, `/c/${paused.code}?sub1=x`);
      assert.equal(response.status, 302);
      assert.equal(response.headers.get("location"), "https://casino.example/closed");
      assert.equal((await t.store.listClicks({ linkId: paused.id })).length, 0);
    });

    test("HEAD (link checkers, previews) records no click", async () => {
      const f = await createFixture(t.store);
      const response = await fetch(`${t.url}/c/${f.link.code}`, { method: "HEAD", redirect: "manual" });
      assert.equal(response.status, 405);
      assert.equal((await t.store.listClicks({ linkId: f.link.id })).length, 0);
    });

    test("a non-ASCII landing template still gives a valid Location", async () => {
      const f = await createFixture(t.store);
      await t.store.links.update(
        f.link.id,
        { landingUrlTemplate: "https://bücher.example/パス?cid={click_id}" },
        Date.now(),
      );
      const response = await click(t.url, `/c/${f.link.code}`);
      assert.equal(response.status, 302);
      const location = new URL(response.headers.get("location")!);
      assert.equal(location.hostname, "xn--bcher-kva.example");
      assert.equal(location.pathname, "/%E3%83%91%E3%82%B9");
    });
  });

  describe(`click IP privacy (${engine})`, { timeout: 60_000 }, () => {
    // TRUSTED_PROXIES makes the test client (127.0.0.1) a proxy, so X-Forwarded-For sets the IP.
    const stored = async (
      env: Record<string, string>,
      forwardedFor?: string,
    ): Promise<Array<string | null>> => {
      const t = await startTestService(engine, { TRUSTED_PROXIES: "127.0.0.1/32", ...env });
      try {
        const f = await createFixture(t.store);
        const ips: Array<string | null> = [];
        const rows = async () =>
          new Map((await t.store.listClicks({ linkId: f.link.id })).map((c) => [c.clickId, c]));
        for (const xff of forwardedFor === undefined ? [undefined] : forwardedFor.split("|")) {
          const response = await click(t.url, `/c/${f.link.code}`, xff ? { "x-forwarded-for": xff } : {});
          const cid = new URL(response.headers.get("location")!).searchParams.get("cid")!;
          ips.push((await rows()).get(cid)?.ip ?? null);
        }
        return ips;
      } finally {
        await t.close();
      }
    };

    test("truncate is the default: IPv4 /24, IPv6 /48", async () => {
      assert.deepEqual(await stored({}, "203.0.113.77|2001:db8:abcd:12::1"), [
        "203.0.113.0",
        "2001:db8:abcd::",
      ]);
    });

    test("full keeps the normalised address; none keeps nothing", async () => {
      assert.deepEqual(await stored({ IP_PRIVACY: "full" }, "198.51.100.7, 203.0.113.77"), ["203.0.113.77"]);
      assert.deepEqual(await stored({ IP_PRIVACY: "none" }, "203.0.113.77"), [null]);
    });

    test("hash is stable per address and differs between addresses", async () => {
      const [a, b, c] = await stored({ IP_PRIVACY: "hash" }, "203.0.113.77|203.0.113.77|203.0.113.78");
      assert.match(a ?? "", /^h:[0-9a-f]{16}$/);
      assert.equal(a, b);
      assert.notEqual(a, c);
    });

    test("X-Forwarded-For from an untrusted peer is ignored", async () => {
      assert.deepEqual(await stored({ TRUSTED_PROXIES: "10.0.0.0/8", IP_PRIVACY: "full" }, "203.0.113.77"), [
        "127.0.0.1",
      ]);
    });
  });
}
