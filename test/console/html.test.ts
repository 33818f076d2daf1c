/** Escaping by construction: every interpolated value is text unless it is SafeHtml; hrefs are safe. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { escapeHtml, html, safeHref } from "../../src/console/html.ts";

test("values are escaped; SafeHtml, arrays and empty values compose", () => {
  const table: Array<[unknown, string]> = [
    ["<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"],
    [`"><img src=x onerror=alert(1)>`, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"],
    ["it's & more", "it&#39;s &amp; more"],
    [html`<b>${"<i>"}</b>`, "<b>&lt;i&gt;</b>"],
    [["<a>", html`<br>`, 3], "&lt;a&gt;<br>3"],
    [null, ""],
    [undefined, ""],
    [false, ""],
    [0, "0"],
  ];
  for (const [value, expected] of table) assert.equal(html`${value}`.value, expected, String(value));
  assert.equal(
    html`<a title="${`x" onmouseover="alert(1)`}">`.value,
    '<a title="x&quot; onmouseover=&quot;alert(1)">',
  );
});

test("no string can open a tag or leave a quoted attribute", () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      const out = escapeHtml(s);
      return !/[<>"']/.test(out) && html`<p title="${s}">${s}</p>`.value === `<p title="${out}">${out}</p>`;
    }),
  );
});

test("safeHref keeps site paths and http(s) URLs, nothing else", () => {
  const table: Array<[string, string]> = [
    ["/requests?code=x", "/requests?code=x"],
    ["https://casino.example/p?a=1", "https://casino.example/p?a=1"],
    ["javascript:alert(1)", "#"],
    ["JaVaScRiPt:alert(1)", "#"],
    ["data:text/html,<b>", "#"],
    ["//evil.example/x", "#"],
    ["/\\evil.example", "#"],
    ["vbscript:x", "#"],
    ["not a url", "#"],
  ];
  for (const [url, expected] of table) assert.equal(safeHref(url), expected, url);
});
