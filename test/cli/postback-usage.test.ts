/** `postwire postback`: every usage mistake exits 2 with a clear message on stderr; --help documents it all. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CliIo } from "../../src/cli/io.ts";
import { postbackCommand } from "../../src/cli/postback-command.ts";

const SECRET = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

async function run(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (text) => void out.push(text),
    err: (text) => void err.push(text),
    fetch: () => Promise.reject(new Error("no network in this test")),
    now: () => 1_795_000_000_000,
    readFile: () => {
      throw new Error("no files in this test");
    },
  };
  const code = await postbackCommand(argv, env, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("postback usage errors exit 2 with a clear message", () => {
  const base = ["--operator-key", "k", "--event", "ftd"];
  const cases: Array<[string, string[], RegExp, Record<string, string>?]> = [
    ["no subcommand", [], /Usage: postwire postback/],
    ["unknown subcommand", ["fire"], /unknown subcommand "fire"/],
    ["unknown option", ["build", ...base, "--amout", "1"], /Unknown option '--amout'/],
    ["missing operator key", ["build", "--event", "ftd"], /--operator-key is required/],
    ["missing event", ["build", "--operator-key", "k"], /--event is required/],
    ["bad method", ["build", ...base, "--method", "PUT"], /--method must be GET or POST/],
    ["format on GET", ["build", ...base, "--format", "form"], /--format applies to POST/],
    [
      "bad format",
      ["build", ...base, "--method", "POST", "--format", "xml"],
      /--format must be json or form/,
    ],
    ["bad --param", ["build", ...base, "--param", "novalue"], /--param must be NAME=VALUE/],
    ["parameter twice", ["build", ...base, "--param", "event=deposit"], /"event" is given twice/],
    ["bad url", ["build", ...base, "--url", "ftp://x"], /--url must be an http\(s\) URL/],
    ["secret on build", ["build", ...base, "--secret", SECRET], /--secret does not apply to build/],
    ["sign without secret", ["sign", ...base], /sign needs the operator's secret/],
    ["bad secret", ["sign", ...base, "--secret", "whsec_!!"], /--secret: The secret must be/],
    ["bad env secret", ["sign", ...base], /POSTWIRE_SECRET: /, { POSTWIRE_SECRET: "nope!" }],
    [
      "bad timestamp",
      ["sign", ...base, "--secret", SECRET, "--timestamp", "soon"],
      /--timestamp must be unix/,
    ],
    ["ts clashes", ["sign", ...base, "--secret", SECRET, "--param", "ts=1"], /clashes with signing/],
    ["timestamp unsigned", ["send", ...base, "--timestamp", "1"], /--timestamp needs the operator's secret/],
    ["bad timeout", ["send", ...base, "--timeout", "0"], /--timeout must be milliseconds/],
    ["verify: no secret", ["verify", "--query", "a=1"], /verify needs the operator's secret/],
    ["verify: nothing", ["verify", "--secret", SECRET], /give --query/],
    ["verify: both", ["verify", "--secret", SECRET, "--query", "a", "--id", "x"], /not both/],
    [
      "verify: no body",
      ["verify", "--secret", SECRET, "--id", "i", "--timestamp", "1", "--signature", "v1,x"],
      /exactly one of --body or --body-file/,
    ],
  ];
  for (const [name, argv, message, env] of cases) {
    test(name, async () => {
      const result = await run(argv, env);
      assert.equal(result.code, 2, result.out);
      assert.match(result.err, message);
      assert.equal(result.out, "");
    });
  }

  test("--help documents every subcommand and exits 0", async () => {
    for (const argv of [["--help"], ["sign", "--help"], ["verify", "-h"]]) {
      const { code, out } = await run(argv);
      assert.equal(code, 0);
      for (const word of [
        "build",
        "sign",
        "send",
        "verify",
        "--secret",
        "--timestamp",
        "--param",
        "--timeout",
      ]) {
        assert.ok(out.includes(word), `help mentions ${word}`);
      }
    }
  });
});
