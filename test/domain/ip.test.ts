import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type CidrList,
  clientIp,
  IP_PRIVACY_MODES,
  normaliseIp,
  parseCidrList,
  privacySafeIp,
} from "../../src/domain/ip.ts";

const SALT = new TextEncoder().encode("pepper-pepper-pepper");
const hashOf = (address: string): string =>
  `h:${createHmac("sha256", SALT).update(address).digest("hex").slice(0, 16)}`;

function cidrs(entries: readonly string[]): CidrList {
  const result = parseCidrList(entries, "ip_allowlist");
  assert.ok(result.ok, `expected ${JSON.stringify(entries)} to parse`);
  return result.value;
}

describe("normaliseIp", () => {
  const cases: [string, string | null][] = [
    ["203.0.113.7", "203.0.113.7"],
    ["0.0.0.0", "0.0.0.0"],
    ["2001:DB8::1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["FE80::ABCD%25", "fe80::abcd"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["::FFFF:10.0.0.1", "10.0.0.1"],
    ["::ffff:0a00:0001", "10.0.0.1"],
    ["::ffff:1.2.3.4%en0", "1.2.3.4"],
    ["::1.2.3.4", "::102:304"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["", null],
    ["garbage", null],
    ["1.2.3", null],
    ["1.2.3.256", null],
    ["01.2.3.4", null],
    [" 1.2.3.4", null],
    ["1.2.3.4:80", null],
    ["[::1]", null],
    ["1::2::3", null],
    ["fe80::1%", null],
    ["10.0.0.0/8", null],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(normaliseIp(input), expected);
    });
  }

  it("is idempotent and agrees with node:net on IPv6 (property)", () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const once = normaliseIp(ip);
        assert.notEqual(once, null);
        assert.equal(normaliseIp(once ?? ""), once);
        // The same address: a BlockList holding exactly the original must match the normal form.
        const list = cidrs([ip]);
        assert.ok(list.contains(once ?? ""));
        // WHATWG URL serialises IPv6 hosts the RFC 5952 way too (but keeps mapped ones as hex).
        if (once?.includes(":")) assert.equal(new URL(`http://[${ip}]/`).hostname, `[${once}]`);
      }),
    );
  });

  it("keeps IPv4 as is (property)", () => {
    fc.assert(fc.property(fc.ipV4(), (ip) => assert.equal(normaliseIp(ip), ip)));
  });
});

describe("privacySafeIp", () => {
  const cases: [string, string | null, string | null, string | null][] = [
    // input, full, truncate, address hashed (normalised); "none" is always null
    ["203.0.113.77", "203.0.113.77", "203.0.113.0", "203.0.113.77"],
    ["2001:DB8:ABCD:12:34::1", "2001:db8:abcd:12:34::1", "2001:db8:abcd::", "2001:db8:abcd:12:34::1"],
    ["2001:db8:abcd:0012::1%eth0", "2001:db8:abcd:12::1", "2001:db8:abcd::", "2001:db8:abcd:12::1"],
    ["::ffff:198.51.100.9", "198.51.100.9", "198.51.100.0", "198.51.100.9"],
    ["::1", "::1", "::", "::1"],
    ["not-an-ip", null, null, null],
    ["", null, null, null],
  ];
  for (const [input, full, truncate, hashed] of cases) {
    it(`${JSON.stringify(input)} in every mode`, () => {
      assert.equal(privacySafeIp(input, "full", SALT), full);
      assert.equal(privacySafeIp(input, "truncate", SALT), truncate);
      assert.equal(privacySafeIp(input, "hash", SALT), hashed === null ? null : hashOf(hashed));
      assert.equal(privacySafeIp(input, "none", SALT), null);
    });
  }

  it("hash is 'h:' + 16 hex, the same for spellings of one address, salt-dependent", () => {
    const a = privacySafeIp("2001:db8::1", "hash", SALT);
    assert.match(a ?? "", /^h:[0-9a-f]{16}$/);
    assert.equal(privacySafeIp("2001:DB8:0::1", "hash", SALT), a);
    assert.equal(privacySafeIp("::ffff:1.2.3.4", "hash", SALT), privacySafeIp("1.2.3.4", "hash", SALT));
    assert.notEqual(privacySafeIp("2001:db8::1", "hash", new Uint8Array(16)), a);
  });

  it("covers every mode", () => {
    assert.deepEqual([...IP_PRIVACY_MODES], ["full", "truncate", "hash", "none"]);
  });
});

describe("parseCidrList", () => {
  const membership: [string[], string, boolean][] = [
    [["10.0.0.0/8"], "10.1.2.3", true],
    [["10.0.0.0/8"], "11.0.0.1", false],
    [["10.0.0.0/8"], "::ffff:10.0.0.1", true],
    [["10.0.0.0/8"], "::ffff:a00:1", true],
    [["10.0.0.0/8"], "::ffff:11.0.0.1", false],
    [["192.0.2.7"], "192.0.2.7", true],
    [["192.0.2.7"], "192.0.2.8", false],
    [["192.0.2.7/32"], "192.0.2.7", true],
    [["192.0.2.7/32"], "192.0.2.6", false],
    [["192.0.2.0/24"], "192.0.2.255", true],
    [["192.0.2.99/24"], "192.0.2.1", true], // host bits are ignored
    [["0.0.0.0/0"], "8.8.8.8", true],
    [["0.0.0.0/0"], "2001:db8::1", false],
    [["2001:db8::/32"], "2001:db8:ffff::1", true],
    [["2001:db8::/32"], "2001:db9::1", false],
    [["2001:db8::/32"], "10.0.0.1", false],
    [["2001:db8::1"], "2001:DB8:0:0::1", true],
    [["2001:db8::1/128"], "2001:db8::1", true],
    [["2001:db8::1/128"], "2001:db8::2", false],
    [["::/0"], "2001:db8::1", true],
    [["::/0"], "1.2.3.4", true], // ::/0 includes ::ffff:0:0/96
    [["fe80::/10"], "fe80::1%eth0", true],
    [["::ffff:10.0.0.0/104"], "10.9.9.9", true],
    [["::ffff:10.0.0.0/104"], "11.0.0.1", false],
    [["::ffff:0:0/96"], "203.0.113.1", true],
    [[" 10.0.0.0/8 ", "2001:db8::/32"], "2001:db8::5", true],
    [[], "10.0.0.1", false],
    [["10.0.0.0/8"], "garbage", false],
    [["10.0.0.0/8"], "", false],
    [["::/0"], "1.2.3", false],
  ];
  for (const [entries, ip, expected] of membership) {
    it(`${JSON.stringify(entries)} ${expected ? "contains" : "excludes"} ${JSON.stringify(ip)}`, () => {
      assert.equal(cidrs(entries).contains(ip), expected);
    });
  }

  it("lists entries in normalised address/prefix form", () => {
    assert.deepEqual(
      cidrs(["10.0.0.0/8", "192.0.2.7", "2001:DB8::/32", "::1", "::ffff:10.0.0.0/104"]).entries,
      ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "::1/128", "10.0.0.0/8"],
    );
  });

  const bad: [string[], RegExp][] = [
    [["10.0.0.0/33"], /"10\.0\.0\.0\/33".*prefix 33 is out of range 0-32/],
    [["2001:db8::/129"], /"2001:db8::\/129".*out of range 0-128/],
    [["10.0.0.0/abc"], /"10\.0\.0\.0\/abc".*not a number/],
    [["10.0.0.0/-1"], /not a number/],
    [["10.0.0.0/"], /not a number/],
    [["10.0.0.0/8.5"], /not a number/],
    [["10.0.0.0/0x8"], /not a number/],
    [["10.0.0.0/1234"], /prefix 1234 is out of range 0-32/],
    [["10.0.0/8"], /"10\.0\.0\/8".*not an IP address/],
    [["example.com"], /not an IP address/],
    [[""], /not an IP address/],
    [["/8"], /not an IP address/],
    [["fe80::1%eth0/64"], /not an IP address/],
    [["10.0.0.0/8/8"], /more than one/],
    [["10.0.0.0/8", "bogus", "300.0.0.0"], /"bogus"/],
  ];
  for (const [entries, message] of bad) {
    it(`rejects ${JSON.stringify(entries)}`, () => {
      const result = parseCidrList(entries, "ip_allowlist");
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.error.code, "invalid_field");
      assert.equal(result.error.field, "ip_allowlist");
      assert.match(result.error.message, message);
      assert.match(result.error.message, /^ip_allowlist: /);
    });
  }

  it("contains() never throws (property)", () => {
    const list = cidrs(["10.0.0.0/8", "2001:db8::/32"]);
    fc.assert(fc.property(fc.string(), (s) => assert.equal(typeof list.contains(s), "boolean")));
  });
});

describe("clientIp", () => {
  const proxies = cidrs(["10.0.0.0/8", "2001:db8:ffff::/48"]);
  const cases: [string, string, string | readonly string[] | undefined, CidrList | undefined, string][] = [
    ["no proxy config ignores XFF", "203.0.113.5", "198.51.100.1", undefined, "203.0.113.5"],
    ["untrusted peer's XFF is ignored", "203.0.113.5", "198.51.100.1", proxies, "203.0.113.5"],
    ["trusted peer without XFF", "10.0.0.1", undefined, proxies, "10.0.0.1"],
    ["trusted peer with empty XFF", "10.0.0.1", "", proxies, "10.0.0.1"],
    ["trusted peer, one hop", "10.0.0.1", "198.51.100.1", proxies, "198.51.100.1"],
    ["chain of trusted proxies", "10.0.0.1", "198.51.100.1, 10.0.0.3, 10.0.0.2", proxies, "198.51.100.1"],
    [
      "spoofed left-most entries ignored",
      "10.0.0.1",
      "1.1.1.1, 6.6.6.6, 198.51.100.1, 10.0.0.2",
      proxies,
      "198.51.100.1",
    ],
    ["all-trusted chain: left-most", "10.0.0.1", "10.0.0.9, 10.0.0.8", proxies, "10.0.0.9"],
    [
      "garbage right of client: last trusted hop",
      "10.0.0.1",
      "198.51.100.1, 10.0.0.2, evil",
      proxies,
      "10.0.0.1",
    ],
    ["garbage behind a trusted hop", "10.0.0.1", "evil, 10.0.0.2", proxies, "10.0.0.2"],
    ["garbage left of client is never reached", "10.0.0.1", "evil, 198.51.100.1", proxies, "198.51.100.1"],
    ["host:port is garbage", "10.0.0.1", "198.51.100.1:443", proxies, "10.0.0.1"],
    [
      "multiple headers joined in order",
      "10.0.0.1",
      ["198.51.100.1, 10.0.0.3", "10.0.0.2"],
      proxies,
      "198.51.100.1",
    ],
    ["multiple headers, client in last", "10.0.0.1", ["1.1.1.1", "198.51.100.7"], proxies, "198.51.100.7"],
    ["empty header list", "10.0.0.1", [], proxies, "10.0.0.1"],
    ["empty elements skipped", "10.0.0.1", "198.51.100.1,, 10.0.0.2 ,", proxies, "198.51.100.1"],
    ["mapped peer is a trusted proxy", "::ffff:10.0.0.1", "198.51.100.1", proxies, "198.51.100.1"],
    ["mapped client is normalised", "10.0.0.1", "::ffff:198.51.100.1", proxies, "198.51.100.1"],
    [
      "IPv6 proxy and client",
      "2001:db8:ffff::1",
      "2001:DB8:1::5, 2001:db8:ffff::2",
      proxies,
      "2001:db8:1::5",
    ],
    ["mapped peer without proxies is normalised", "::ffff:203.0.113.5", undefined, undefined, "203.0.113.5"],
    ["unnormalisable peer returned raw", "unix-socket", "198.51.100.1", proxies, "unix-socket"],
    ["IPv6 peer with zone", "fe80::1%eth0", undefined, undefined, "fe80::1"],
  ];
  for (const [name, remote, xff, trusted, expected] of cases) {
    it(name, () => {
      assert.equal(clientIp(remote, xff, trusted), expected);
    });
  }

  it("never returns an XFF entry when the peer is untrusted (property)", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.array(fc.ipV4()), (peer, hops) => {
        fc.pre(!proxies.contains(peer));
        assert.equal(clientIp(peer, hops.join(", "), proxies), peer);
      }),
    );
  });
});
