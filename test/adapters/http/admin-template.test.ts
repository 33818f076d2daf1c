import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { CONTRACT_FIELDS } from "../../../src/domain/postback-params.ts";
import { decodeSecret } from "../../../src/domain/signing.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import {
  type Call,
  click,
  client,
  createWorld,
  expectStatus,
  nowSeconds,
  signedQuery,
  txid,
  type World,
} from "./admin-kit.ts";

const PUBLIC = "https://track.example";
const MAPPING = { params: { btag: "click_id", type: "event" }, values: { event: { dep: "ftd" } } };

/** What each syntax makes of the macro `click_id`. */
const PLACEHOLDERS = {
  curly: (n: string) => `{${n}}`,
  square: (n: string) => `[${n.toUpperCase()}]`,
  percent: (n: string) => `%${n}%`,
  double_curly: (n: string) => `{{${n}}}`,
} as const;

const keyOf = (secret: string): Buffer => {
  const decoded = decodeSecret(secret);
  assert.ok(decoded.ok);
  return decoded.value;
};

for (const engine of await availableEngines()) {
  describe(`postback template (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    let world: World;
    before(async () => {
      t = await startTestService(engine, { PUBLIC_URL: PUBLIC });
      admin = client(t.url, t.adminKey);
      world = await createWorld(t, "Templated");
      expectStatus(await admin("PUT", `/v1/operators/${world.operator.id}/mapping`, MAPPING), 200);
    });
    after(() => t.close());
    const templatePath = (query: string) => `/v1/operators/${world.operator.id}/postback-template?${query}`;

    for (const [syntax, ph] of Object.entries(PLACEHOLDERS)) {
      test(`GET in ${syntax} syntax uses the operator's names and signing parameters`, async () => {
        const reply = await admin("GET", templatePath(`syntax=${syntax}`));
        expectStatus(reply, 200);
        const names: Array<[string, string]> = [
          ["type", "event"],
          ["txid", "txid"],
          ["btag", "click_id"],
          ["player_id", "player_id"],
          ["amount", "amount"],
          ["currency", "currency"],
          ["lots", "lots"],
          ["reverses", "reverses"],
          ["occurred_at", "occurred_at"],
          ["sub_id", "sub_id"],
          ["test", "test"],
          ["program_id", "program_id"],
          ["ts", "ts"],
          ["sig", "sig"],
        ];
        const query = names.map(([name, macro]) => `${name}=${ph(macro)}`).join("&");
        assert.equal(reply.body.url, `${PUBLIC}/v1/postback/${world.operator.key}?${query}`);
        assert.equal(reply.body.syntax, syntax);
        assert.equal(reply.body.method, "GET");
        assert.equal(reply.body.signing.scheme, "hmac-sha256-query");
        const event = reply.body.parameters.find((p: { field: string }) => p.field === "event");
        assert.deepEqual(event, {
          ...event,
          name: "type",
          placeholder: ph("event"),
          required: true,
          values: { dep: "ftd" },
        });
      });

      test(`POST in ${syntax} syntax gives a JSON body and the Standard Webhooks recipe`, async () => {
        const reply = await admin("GET", templatePath(`syntax=${syntax}&method=POST`));
        expectStatus(reply, 200);
        assert.equal(reply.body.url, `${PUBLIC}/v1/postback/${world.operator.key}`);
        assert.equal(reply.body.signing.scheme, "standard-webhooks");
        const body = reply.body.body as string;
        assert.ok(body.includes(`"btag":"${ph("click_id")}"`), body);
        assert.ok(body.includes(`"type":"${ph("event")}"`), body);
      });
    }

    test("the worked GET example is the HMAC of its canonical query", async () => {
      const { signing } = (await admin("GET", templatePath("syntax=curly"))).body;
      const { secret, canonical, signature, url } = signing.example;
      const pairs = [...new URL(url).searchParams].filter(([name]) => name !== "sig");
      const expected = pairs
        .map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`)
        .sort()
        .join("&");
      assert.equal(canonical, expected);
      assert.equal(signature, createHmac("sha256", keyOf(secret)).update(canonical).digest("hex"));
      assert.ok(canonical.includes("type=dep"), "the example speaks the operator's own values");
    });

    test("the template lists every parameter of the contract; webhook-id is the txid", async () => {
      const get = (await admin("GET", templatePath("syntax=curly"))).body;
      assert.deepEqual(
        get.parameters.map((p: { field: string }) => p.field),
        [...CONTRACT_FIELDS],
      );
      for (const field of ["reverses", "occurred_at", "sub_id", "test"])
        assert.ok(get.url.includes(`${field}={${field}}`), `${field} in ${get.url}`);
      const { signing } = (await admin("GET", templatePath("method=POST"))).body;
      assert.equal(signing.example.headers["webhook-id"], JSON.parse(signing.example.body).txid);
      assert.match(signing.steps[0], /webhook-id: the event's txid/);
    });

    test("the worked POST example matches the standardwebhooks reference signer", async () => {
      const { signing } = (await admin("GET", templatePath("method=POST"))).body;
      const { secret, body, headers } = signing.example;
      const reference = new Webhook(secret).sign(
        headers["webhook-id"],
        new Date(Number(headers["webhook-timestamp"]) * 1000),
        body,
      );
      assert.equal(headers["webhook-signature"], reference);
    });

    test("the GET template, filled in and signed by its recipe, is accepted and mapped", async () => {
      const template = (await admin("GET", templatePath("syntax=square"))).body.url as string;
      const values: Record<string, string> = {
        EVENT: "dep",
        TXID: txid(),
        CLICK_ID: await click(t, world),
        PLAYER_ID: "player-7",
        AMOUNT: "25.00",
        CURRENCY: "EUR",
      };
      const filled = new URL(template.replace(/\[([A-Z_]+)\]/g, (_m, name: string) => values[name] ?? ""));
      const pairs = [...filled.searchParams].filter(([name]) => name !== "ts" && name !== "sig");
      const query = signedQuery(world.secret, pairs);
      const answer = await client(t.url, undefined)("GET", `${filled.pathname}?${query}`);
      expectStatus(answer, 200, "accepted");
      assert.equal(answer.body.attributed, true);
      const stored = await admin("GET", `/v1/conversions/${answer.body.conversion_id}`);
      assert.equal(stored.body.event, "ftd");
      assert.equal(stored.body.amount, "25.00");
    });

    test("the POST template, filled in and signed with a reference library, is accepted", async () => {
      const reply = (await admin("GET", templatePath("syntax=double_curly&method=POST"))).body;
      const values: Record<string, string> = {
        event: "dep",
        txid: txid(),
        click_id: await click(t, world),
        player_id: "player-8",
        amount: "10.00",
        currency: "EUR",
      };
      const body = (reply.body as string).replace(
        /\{\{([a-z_]+)\}\}/g,
        (_m, name: string) => values[name] ?? "",
      );
      const id = `msg_${values["txid"]}`;
      const now = nowSeconds();
      const signature = new Webhook(world.secret).sign(id, new Date(now * 1000), body);
      const response = await fetch(`${t.url}${new URL(reply.url).pathname}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": String(now),
          "webhook-signature": signature,
        },
        body,
      });
      const answer = (await response.json()) as { code: string };
      assert.equal(response.status, 200, JSON.stringify(answer));
      assert.equal(answer.code, "accepted");
    });

    test("a token-only operator gets a token parameter and no signing", async () => {
      const op = await admin("POST", "/v1/operators", {
        name: "Tokens",
        hmac_secrets: [],
        ip_allowlist: ["192.0.2.0/24"],
      });
      expectStatus(await admin("PUT", `/v1/operators/${op.body.id}/static-token`), 201);
      const reply = await admin("GET", `/v1/operators/${op.body.id}/postback-template?syntax=percent`);
      expectStatus(reply, 200);
      assert.ok(reply.body.url.endsWith("&program_id=%program_id%&token=%token%"), reply.body.url);
      assert.equal(reply.body.signing.scheme, "none");
      assert.equal(reply.body.signing.example, null);
      assert.deepEqual(reply.body.auth, { hmac: false, ip_allowlist: true, static_token: true });
    });

    test("bad syntax or method is refused naming the parameter; other operators are not found", async () => {
      expectStatus(await admin("GET", templatePath("syntax=angle")), 400, "validation_failed", "syntax");
      expectStatus(await admin("GET", templatePath("method=PUT")), 400, "validation_failed", "method");
      const own = client(t.url, await t.key("operator", { operatorId: world.operator.id }));
      expectStatus(await own("GET", templatePath("syntax=curly")), 200);
      const other = await createWorld(t, "Other");
      expectStatus(
        await own("GET", `/v1/operators/${other.operator.id}/postback-template`),
        404,
        "not_found",
      );
    });
  });
}
