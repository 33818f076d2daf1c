import assert from "node:assert/strict";
import { test } from "node:test";
import { attachmentNamed, csvCell, csvLine } from "../../../src/adapters/http/csv.ts";

test("cells a spreadsheet would evaluate are neutralised (OWASP CSV injection)", () => {
  for (const text of ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")']) {
    assert.ok(csvCell(text).replace(/^"/, "").startsWith("'"), text);
  }
  assert.equal(csvCell("=1+1"), "'=1+1");
  assert.equal(csvCell("plain"), "plain");
  assert.equal(csvCell(-1250), "-1250", "a negative number stays a number");
  assert.equal(csvCell(null), "");
  assert.equal(csvCell(undefined), "");
});

test("RFC 4180 quoting and CRLF lines", () => {
  assert.equal(csvCell('say "hi", then'), '"say ""hi"", then"');
  assert.equal(csvCell("two\nlines"), '"two\nlines"');
  assert.equal(csvLine(["a", 1, null, "=x"]), "a,1,,'=x\r\n");
});

test("download names keep only safe characters", () => {
  assert.equal(attachmentNamed("report 2026-12.csv"), 'attachment; filename="report_2026-12.csv"');
  assert.equal(attachmentNamed('a"b;\r\n.csv'), 'attachment; filename="a_b___.csv"');
});
