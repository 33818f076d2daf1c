import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it, test } from "node:test";
import {
  BLOCKED_CIDRS,
  BLOCKED_HOST_NAMES,
  checkAddress,
  compileAllowlist,
  hostToIp,
  isBlockedAddress,
  isBlockedHostName,
  parseEgressAllowlist,
} from "../../src/domain/egress.ts";

/** What a URL's host becomes: the WHATWG parser's hostname, then hostToIp. */
function urlHostIp(host: string): string | null {
  return hostToIp(new URL(`http://${host}/`).hostname);
}

describe("URL host encodings reach the same address", () => {
  const loopbackForms = [
    "127.0.0.1",
    "2130706433",
    "0x7f000001",
    "0x7F000001",
    "0x7f.0.0.1",
    "0x7f.0x0.0x0.0x1",
    "0177.0.0.1",
    "0177.0000.0000.0001",
    "017700000001",
    "127.1",
    "127.0.1",
    "0x7f.1",
    "127.0.0.1.",
    "%31%32%37.0.0.1",
    "１２７.0.0.1",
    "127.0.0.0x1",
  ];
  for (const form of loopbackForms) {
    test(`${form} → 127.0.0.1, blocked`, () => {
      assert.equal(urlHostIp(form), "127.0.0.1");
      assert.deepEqual(isBlockedAddress(urlHostIp(form)!), { blocked: true, range: "loopback 127.0.0.0/8" });
    });
  }
  const other: [string, string][] = [
    ["10.1.1", "10.1.0.1"],
    ["0", "0.0.0.0"],
    ["0x0", "0.0.0.0"],
    ["3232235521", "192.168.0.1"],
    ["0xa9.254.169.254", "169.254.169.254"],
    ["2852039166", "169.254.169.254"],
    ["[::1]", "::1"],
    ["[0:0:0:0:0:0:0:1]", "::1"],
    ["[::ffff:127.0.0.1]", "::ffff:7f00:1"],
    ["[::ffff:7f00:1]", "::ffff:7f00:1"],
    ["[0:0:0:0:0:ffff:127.0.0.1]", "::ffff:7f00:1"],
    ["[::127.0.0.1]", "::7f00:1"],
    ["[64:ff9b::10.0.0.1]", "64:ff9b::a00:1"],
    ["[2002:7f00:1::]", "2002:7f00:1::"],
    ["[FE80::1]", "fe80::1"],
  ];
  for (const [form, ip] of other) test(`${form} → ${ip}`, () => assert.equal(urlHostIp(form), ip));

  test("zone ids: refused by the URL parser, dropped from raw hosts", () => {
    assert.throws(() => new URL("http://[fe80::1%25eth0]/"));
    assert.equal(hostToIp("fe80::1%eth0"), "fe80::1");
    assert.equal(hostToIp("[fe80::1%25eth0]"), "fe80::1");
    assert.equal(isBlockedAddress("fe80::1%eth0").blocked, true);
  });

  test("raw hosts in any IPv4 spelling are parsed without a URL around them", () => {
    assert.equal(hostToIp("0177.0.0.1"), "127.0.0.1");
    assert.equal(hostToIp("2130706433"), "127.0.0.1");
    assert.equal(hostToIp("10.1.1"), "10.1.0.1");
    assert.equal(isBlockedAddress("0x7f.1").blocked, true);
  });

  test("names are not addresses", () => {
    for (const name of ["example.com", "localhost", "127.0.0.1.nip.io", "1.2.3.4.5", "", "a/b", "x@1.2.3.4"])
      assert.equal(hostToIp(name), null, name);
  });
});

describe("isBlockedAddress", () => {
  const blocked: [string, string][] = [
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link-local"],
    ["169.254.0.1", "link-local"],
    ["fe80::1", "link-local"],
    ["febf::1", "link-local"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.100.100.200", "carrier-grade NAT"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["2001:2::1", "benchmarking"],
    ["192.0.2.1", "documentation"],
    ["198.51.100.1", "documentation"],
    ["203.0.113.1", "documentation"],
    ["2001:db8::1", "documentation"],
    ["3fff::1", "documentation"],
    ["192.0.0.1", "IETF protocol assignments"],
    ["192.0.0.192", "IETF protocol assignments"],
    ["192.88.99.1", "6to4 relay"],
    ["fc00::1", "unique local"],
    ["fd00:ec2::254", "unique local"],
    ["fec0::1", "site-local"],
    ["100::1", "discard"],
    ["2001:10::1", "ORCHID"],
    ["2001:20::1", "ORCHIDv2"],
    ["5f00::1", "SRv6"],
    ["4000::1", "reserved"],
    ["::2:1", "IPv4-compatible"],
    // IPv6 forms embedding an IPv4 address are judged by it.
    ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
    ["::ffff:7f00:1", "IPv4-mapped loopback"],
    ["::ffff:a9fe:a9fe", "IPv4-mapped link-local"],
    ["::ffff:0:0", "IPv4-mapped unspecified"],
    ["::127.0.0.1", "IPv4-compatible"],
    ["::7f00:1", "IPv4-compatible"],
    ["::93.184.216.34", "IPv4-compatible"],
    ["64:ff9b::127.0.0.1", "NAT64 loopback"],
    ["64:ff9b::a9fe:a9fe", "NAT64 link-local"],
    ["64:ff9b:1::8.8.8.8", "NAT64 local-use"],
    ["64:ff9b:1:ffff::1", "NAT64 local-use"],
    ["2002:7f00:1::", "6to4 loopback"],
    ["2002:a00:1::1", "6to4 private"],
    ["2002:a9fe:a9fe::", "6to4 link-local"],
    // Teredo: server 65.54.227.120, client 127.0.0.1 stored inverted (0x80ffff fe).
    ["2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo loopback"],
    ["2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo private"],
    ["fe80::1%eth0", "link-local"],
    ["not-an-ip", "not an IP address"],
  ];
  for (const [ip, range] of blocked) {
    test(`${ip} is blocked (${range})`, () => {
      const verdict = isBlockedAddress(ip);
      assert.equal(verdict.blocked, true);
      assert.ok(verdict.range?.startsWith(range), `${verdict.range} starts with ${range}`);
    });
  }

  const allowed = [
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "172.15.255.255",
    "172.32.0.1",
    "100.63.255.255",
    "100.128.0.1",
    "198.17.255.255",
    "198.20.0.1",
    "169.253.255.255",
    "192.0.1.1",
    "223.255.255.255",
    "2606:2800:220:1::",
    "2606:2800:220:1:248:1893:25c8:1946",
    "2a00:1450:4001:81b::200e",
    "::ffff:93.184.216.34",
    "::ffff:5db8:d822",
    "64:ff9b::93.184.216.34",
    "2002:5db8:d822::1",
    "2001:0:4136:e378:8000:63bf:a247:27dd",
  ];
  for (const ip of allowed)
    test(`${ip} is allowed`, () => assert.deepEqual(isBlockedAddress(ip), { blocked: false }));
});

describe("isBlockedHostName", () => {
  for (const name of [
    "metadata.google.internal",
    "METADATA.google.internal.",
    "metadata",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
    "localhost",
    "api.localhost",
  ]) {
    test(`${name} is blocked by name`, () => assert.equal(isBlockedHostName(name).blocked, true));
  }
  for (const name of ["example.com", "metadata.example.com", "tracker.affiliate.io", "localhost.example"]) {
    test(`${name} is not blocked by name`, () => assert.equal(isBlockedHostName(name).blocked, false));
  }
});

describe("allowlist", () => {
  it("is off by default", () => {
    assert.equal(checkAddress("127.0.0.1", undefined).blocked, true);
    assert.equal(checkAddress("127.0.0.1", compileAllowlist({})).blocked, true);
  });

  it("opens listed CIDRs and nothing else", () => {
    const allow = compileAllowlist({ cidrs: ["127.0.0.1", "10.1.0.0/16", "fd00::/8"] });
    assert.deepEqual(checkAddress("127.0.0.1", allow), { blocked: false });
    assert.deepEqual(checkAddress("::ffff:127.0.0.1", allow), { blocked: false });
    assert.deepEqual(checkAddress("10.1.2.3", allow), { blocked: false });
    assert.deepEqual(checkAddress("fd12::1", allow), { blocked: false });
    assert.equal(checkAddress("127.0.0.2", allow).blocked, true);
    assert.equal(checkAddress("10.2.0.1", allow).blocked, true);
    assert.equal(checkAddress("169.254.169.254", allow).blocked, true);
  });

  it("matches host names exactly or by *.suffix, case- and trailing-dot-insensitively", () => {
    const allow = compileAllowlist({ hosts: ["receiver.corp", "*.onprem.example"] });
    assert.equal(allow.allowsHost("receiver.corp"), true);
    assert.equal(allow.allowsHost("Receiver.Corp."), true);
    assert.equal(allow.allowsHost("a.onprem.example"), true);
    assert.equal(allow.allowsHost("a.b.onprem.example"), true);
    assert.equal(allow.allowsHost("onprem.example"), false);
    assert.equal(allow.allowsHost("evilonprem.example"), false);
    assert.equal(allow.allowsHost("x.receiver.corp"), false);
  });

  it("parseEgressAllowlist splits CIDRs from host names and reports bad entries", () => {
    const parsed = parseEgressAllowlist(
      [" 127.0.0.1 ", "10.0.0.0/8", "::1", "Receiver.Corp", "*.lan", ""],
      "X",
    );
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, {
      cidrs: ["127.0.0.1/32", "10.0.0.0/8", "::1/128"],
      hosts: ["receiver.corp", "*.lan"],
    });
    for (const bad of ["10.0.0.0/33", "bad host!", "http://x", "1.2.3.4/x"]) {
      const result = parseEgressAllowlist([bad], "X");
      assert.equal(result.ok, false, bad);
      if (!result.ok) assert.equal(result.error.field, "X");
    }
    assert.throws(() => compileAllowlist({ cidrs: ["nope/1"] }), RangeError);
  });
});

test("docs/ssrf.md names every blocked range and host name", () => {
  const doc = readFileSync(new URL("../../docs/ssrf.md", import.meta.url), "utf8");
  for (const entry of [...BLOCKED_CIDRS, ...BLOCKED_HOST_NAMES]) {
    assert.ok(doc.includes(`\`${entry}\``), `docs/ssrf.md mentions \`${entry}\``);
  }
});
