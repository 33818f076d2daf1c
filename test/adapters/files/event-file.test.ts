/**
 * The reconciliation file reader (src/adapters/files/event-file.ts): RFC 4180 CSV and JSON lines
 * read as they stream, however the bytes are cut into chunks; a BOM dropped; bad rows reported with
 * their line while reading goes on; a file that is not UTF-8 refused; the SHA-256 of the bytes.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { readEventFile } from "../../../src/adapters/files/event-file.ts";
import type { FileRow } from "../../../src/app/reconcile/compare-file.ts";

/** The bytes cut every `size` bytes (1: every byte its own chunk, splitting every character). */
async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function rowsOf(text: string | Buffer, format: "csv" | "jsonl", size = 7): Promise<FileRow[]> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const rows: FileRow[] = [];
  for await (const row of readEventFile(chunksOf(bytes, size), format, 1 << 20).rows) rows.push(row);
  return rows;
}

describe("reading a reconciliation file", () => {
  // A BOM, a quoted field over two lines, an empty line, CRLF and LF mixed, short and long rows,
  // a stray quote, no line end at the end.
  const csv =
    '\ufeffevent,txid,note\r\nftd,tx-1,"a ""quoted"", multi\r\nline note"\r\n\r\nftd,tx-é,ü\nftd,short\r\nftd,tx-3,x,extra\r\nftd,b"ad,x\r\nftd,tx-4,last';
  for (const size of [1, 2, 3, 7, 64, 4096])
    test(`CSV cut every ${size} bytes: the same rows, lines and errors`, async () => {
      assert.deepEqual(await rowsOf(csv, "csv", size), [
        {
          line: 2,
          pairs: [
            ["event", "ftd"],
            ["txid", "tx-1"],
            ["note", 'a "quoted", multi\r\nline note'],
          ],
        },
        {
          line: 5,
          pairs: [
            ["event", "ftd"],
            ["txid", "tx-é"],
            ["note", "ü"],
          ],
        },
        { line: 6, error: "2 fields where the header has 3." },
        { line: 7, error: "4 fields where the header has 3." },
        { line: 8, error: 'Invalid Opening Quote: a quote is found on field 1, value is "b"' },
        {
          line: 9,
          pairs: [
            ["event", "ftd"],
            ["txid", "tx-4"],
            ["note", "last"],
          ],
        },
      ]);
    });

  test("a bad closing quote and a quote never closed: each reported at its line, reading goes on", async () => {
    const text = 'event,txid\r\nftd,tx-1\r\nftd,"tx-2"x\r\nftd,tx-3\nftd,"tx-4\r\nftd,tx-5\r\n';
    const rows = (await rowsOf(text, "csv")).map((r) => [
      "pairs" in r ? r.pairs[1]![1] : r.error.split(":")[0],
      r.line,
    ]);
    // csv-parse reads on from a bad closing quote as from an opening one: the lines after it go
    // with the broken record (reported at its line, never dropped unsaid), up to the quote left
    // open on line 5, which takes the rest of the file.
    assert.deepEqual(rows, [
      ["tx-1", 2],
      ["Invalid Closing Quote", 3],
      ["Invalid Closing Quote", 3],
      ["Quote Not Closed", 3],
    ]);
  });

  test("JSON lines: one object a line; numbers and booleans as text; each bad line named", async () => {
    const text = [
      '{"event":"ftd","txid":"t1","amount":12.5,"test":true,"sub_id":null}',
      "",
      "[1,2]",
      '{"event":"ftd","txid":{"nested":1}}',
      "{broken",
      '{"event":"registration","txid":"t2"}',
    ].join("\r\n");
    assert.deepEqual(await rowsOf(text, "jsonl", 5), [
      {
        line: 1,
        pairs: [
          ["event", "ftd"],
          ["txid", "t1"],
          ["amount", "12.5"],
          ["test", "true"],
        ],
      },
      { line: 3, error: "a line must be one JSON object." },
      { line: 4, error: "txid must be a string, a number or a boolean." },
      { line: 5, error: "not valid JSON." },
      {
        line: 6,
        pairs: [
          ["event", "registration"],
          ["txid", "t2"],
        ],
      },
    ]);
  });

  test("a file that is not UTF-8 is refused with invalid_encoding, wherever the bad byte falls", async () => {
    const latin1 = Buffer.concat([
      Buffer.from("event,txid\r\nftd,caf"),
      Buffer.from([0xe9]),
      Buffer.from("\r\n"),
    ]);
    for (const size of [1, 4, 4096])
      await assert.rejects(rowsOf(latin1, "csv", size), (error: Error & { code?: string }) => {
        assert.equal(error.code, "invalid_encoding");
        assert.match(error.message, /not valid UTF-8 \(in the bytes from offset \d+\)/);
        return true;
      });
    // A truncated multi-byte character at the very end is no UTF-8 either.
    await assert.rejects(rowsOf(Buffer.from([0x61, 0x0a, 0xc3]), "jsonl", 1), { code: "invalid_encoding" });
  });

  test("larger than allowed: payload_too_large; the digest is the SHA-256 of the bytes", async () => {
    const bytes = Buffer.from("event,txid\r\nftd,t1\r\n");
    const file = readEventFile(chunksOf(bytes, 3), "csv", 1 << 20);
    for await (const _ of file.rows);
    assert.deepEqual(file.digest(), {
      sha256: createHash("sha256").update(bytes).digest("hex"),
      bytes: bytes.length,
    });
    const small = readEventFile(chunksOf(bytes, 3), "csv", 10);
    await assert.rejects(
      (async () => {
        for await (const _ of small.rows);
      })(),
      { code: "payload_too_large" },
    );
  });
});
