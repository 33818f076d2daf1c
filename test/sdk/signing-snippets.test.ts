/**
 * The signing code of docs/integration.md §8.3 (Node.js, Python, PHP, Go), taken from the guide
 * as it is with a few lines of harness per language: its GET queries and POST headers are the
 * independent vectors, and a real service accepts what it signs now.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createFixture } from "../helpers/service.ts";
import { signingVectors } from "../helpers/signing-vectors.ts";
import { suiteService } from "./sdk-kit.ts";
import { runCommand, runnable, snippet, type Toolchain } from "./snippet-kit.ts";

/** Input on argv[1]: {secret, get: [{params: [[name, value]…], ts}], post: [{id, ts, body}]}; output: {get: [query…], post: [headers…]}. */
const HARNESS: Record<Toolchain, (code: string) => string> = {
  node: (code) => `${code}
const input = JSON.parse(process.argv[2]);
console.log(JSON.stringify({
  get: input.get.map((c) => signedQuery(input.secret, Object.fromEntries(c.params), c.ts)),
  post: input.post.map((c) => webhookHeaders(input.secret, c.id, c.body, c.ts)),
}));
`,
  python: (code) => `${code}
if __name__ == "__main__":
    import json, sys
    data = json.loads(sys.argv[1])
    print(json.dumps({
        "get": [signed_query(data["secret"], dict(c["params"]), c["ts"]) for c in data["get"]],
        "post": [webhook_headers(data["secret"], c["id"], c["body"].encode(), c["ts"]) for c in data["post"]],
    }))
`,
  php: (code) => `<?php
${code}
$data = json_decode($argv[1], true);
$get = [];
foreach ($data['get'] as $c) {
    $params = [];
    foreach ($c['params'] as [$name, $value]) {
        $params[$name] = $value;
    }
    $get[] = postwire_signed_query($data['secret'], $params, $c['ts']);
}
$post = array_map(fn ($c) => postwire_webhook_headers($data['secret'], $c['id'], $c['body'], $c['ts']), $data['post']);
echo json_encode(['get' => $get, 'post' => $post]);
`,
  go: (code) => `package main

import (
	"encoding/json"
	"fmt"
	"os"
)

${code}
func main() {
	var in struct {
		Secret string
		Get    []struct {
			Params [][2]string
			Ts     int64
		}
		Post []struct {
			ID   string
			Ts   int64
			Body string
		}
	}
	if err := json.Unmarshal([]byte(os.Args[1]), &in); err != nil {
		panic(err)
	}
	var out struct {
		Get  []string            \`json:"get"\`
		Post []map[string]string \`json:"post"\`
	}
	for _, c := range in.Get {
		params := make([]Param, len(c.Params))
		for i, p := range c.Params {
			params[i] = Param{p[0], p[1]}
		}
		q, err := SignedQuery(in.Secret, params, c.Ts)
		if err != nil {
			panic(err)
		}
		out.Get = append(out.Get, q)
	}
	for _, c := range in.Post {
		h, err := WebhookHeaders(in.Secret, c.ID, []byte(c.Body), c.Ts)
		if err != nil {
			panic(err)
		}
		out.Post = append(out.Post, h)
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
`,
};

interface Signed {
  readonly get: string[];
  readonly post: Array<Record<string, string>>;
}

describe("docs/integration.md §8.3 signing code", () => {
  const suite = suiteService("postwire-signing-snippets-");

  for (const language of Object.keys(HARNESS) as Toolchain[]) {
    test(`${language}: the vectors, and signed GET and POST accepted by a real service`, async (ctx) => {
      const source = HARNESS[language](snippet(`${language}-signing`));
      const command = await runnable(ctx, language, suite.dir, `signing_${language}`, source);
      if (!command) return;
      const sign = async (input: object): Promise<Signed> => {
        const run = await runCommand(command, [JSON.stringify(input)]);
        assert.equal(run.exit, 0, run.stdout);
        return JSON.parse(run.stdout) as Signed;
      };

      const { secret, get, post } = signingVectors;
      const vectors = await sign({
        secret,
        get: get.cases.map((c) => ({
          params: Object.entries(c.params).filter(([name]) => name !== "ts"),
          ts: Number(c.params["ts"]),
        })),
        post: post.cases.map((c) => ({
          id: c["webhook-id"],
          ts: Number(c["webhook-timestamp"]),
          body: c.body,
        })),
      });
      assert.deepEqual(
        vectors.get,
        get.cases.map((c) => c.query_as_sent),
      );
      assert.deepEqual(
        vectors.post,
        post.cases.map((c) => ({
          "webhook-id": c["webhook-id"],
          "webhook-timestamp": c["webhook-timestamp"],
          "webhook-signature": c["webhook-signature"],
        })),
      );

      const f = await createFixture(suite.t.store);
      const ts = Math.floor(Date.now() / 1000);
      const body = JSON.stringify({
        event: "ftd",
        txid: `${language}-post`,
        player_id: "p",
        amount: "1.50",
        currency: "EUR",
      });
      const live = await sign({
        secret: f.secret,
        get: [
          {
            params: [
              ["event", "registration"],
              ["txid", `${language}/get #1`],
              ["player_id", "jöhn+doe@example.com"],
              ["sub_id", "a&b=c"],
            ],
            ts,
          },
        ],
        post: [{ id: `${language}-post`, ts, body }],
      });
      const endpoint = `${suite.t.url}/v1/postback/${f.operator.key}`;
      const answers = [
        await fetch(`${endpoint}?${live.get[0]}`),
        await fetch(endpoint, {
          method: "POST",
          headers: { "content-type": "application/json", ...live.post[0] },
          body,
        }),
      ];
      for (const answer of answers) {
        const text = await answer.text();
        assert.equal(answer.status, 200, text);
        assert.equal(JSON.parse(text).code, "accepted", text);
      }
      const stored = await suite.t.store.listConversions({ operatorId: f.operator.id });
      assert.deepEqual(stored.map((c) => c.playerId).sort(), ["jöhn+doe@example.com", "p"]);
    });
  }
});
