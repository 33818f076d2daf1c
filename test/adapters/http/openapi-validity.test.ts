/**
 * The served /openapi.json is a valid OpenAPI 3.1 document (a strict validator, plus the path
 * templating rules JSON Schema cannot state), and it tells the truth about content types: each
 * documented GET and HEAD operation (and a few others) is called over real HTTP, and the status it
 * answers must be documented with the Content-Type it was sent with.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type SpecData, Validator } from "@seriousme/openapi-schema-validator";
import { startTestService, type TestService } from "../../helpers/service.ts";
import { click, convert, createWorld, type World } from "./admin-kit.ts";

interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  responses: Record<string, { content?: Record<string, unknown> }>;
}
type Doc = { paths: Record<string, Record<string, Operation>> };

/** The media type of a Content-Type header, without parameters. */
const mediaType = (header: string | null): string | undefined =>
  header ? header.split(";")[0]!.trim().toLowerCase() : undefined;

describe("GET /openapi.json against a strict validator and the live routes", () => {
  let t: TestService;
  let doc: Doc;
  let world: World;
  let conversionId: string;
  before(async () => {
    t = await startTestService("sqlite");
    doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as Doc;
    world = await createWorld(t);
    conversionId = await convert(t, world, await click(t, world));
  });
  after(() => t.close());

  test("is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator), with no errors", async () => {
    const result = await new Validator().validate(doc as unknown as SpecData);
    assert.deepEqual(result.errors, undefined);
    assert.equal(result.valid, true);
  });

  test("every path template names a required path parameter in each of its operations", () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      for (const [method, op] of Object.entries(item)) {
        const inPath = (op.parameters ?? []).filter((p) => p.in === "path");
        assert.deepEqual(inPath.map((p) => p.name).sort(), names, `${method} ${path}`);
        for (const p of inPath) assert.equal(p.required, true, `${method} ${path} ${p.name}`);
        const keys = (op.parameters ?? []).map((p) => `${p.in}:${p.name}`);
        assert.equal(new Set(keys).size, keys.length, `${method} ${path} lists a parameter once`);
      }
    }
  });

  /** A value for a path parameter: the fixture's own where there is one, else one that matches nothing. */
  function fill(path: string, code = world.link.code): string {
    const resource = path.startsWith("/v1/") ? path.split("/")[2] : undefined;
    const ids: Record<string, string> = {
      operators: String(world.operator.id),
      programs: String(world.program.id),
      affiliates: String(world.affiliate.id),
      links: String(world.link.id),
      conversions: conversionId,
    };
    return path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
      if (name === "code") return code;
      if (name === "operatorKey") return world.operator.key;
      if (name === "vertical") return "igaming";
      if (name === "fingerprint") return "0123456789abcdef";
      return ids[resource ?? ""] ?? "999999";
    });
  }

  async function check(method: string, path: string, init: RequestInit = {}, code?: string): Promise<string> {
    const op = doc.paths[path]?.[method];
    assert.ok(op, `${method} ${path} is documented`);
    const url = `${t.url}${fill(path, code)}`;
    const response = await fetch(url, {
      method: method.toUpperCase(),
      redirect: "manual",
      ...init,
      headers: { authorization: `Bearer ${t.adminKey}`, ...(init.headers ?? {}) },
    });
    const body = await response.text();
    const documented = op.responses[String(response.status)] ?? op.responses["default"];
    const where = `${method.toUpperCase()} ${url} answered ${response.status}`;
    assert.ok(documented, `${where}, which is not documented: ${body.slice(0, 200)}`);
    const type = mediaType(response.headers.get("content-type"));
    if (documented.content) {
      assert.ok(
        type && type in documented.content,
        `${where} as ${type}; documented: ${Object.keys(documented.content)}`,
      );
    } else {
      assert.equal(body, "", `${where} with a body, documented as having none`);
    }
    return `${response.status} ${type ?? "-"}`;
  }

  test("each GET and HEAD answers a documented status with a documented Content-Type", async () => {
    const seen: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        if (method === "get" || method === "head")
          seen.push(`${method} ${path}: ${await check(method, path)}`);
      }
    }
    assert.ok(seen.length > 30, seen.join("\n"));
    for (const expected of [
      "get /metrics: 200 text/plain",
      "get /v1/commissions.csv: 200 text/csv",
      "get /c/{code}: 302 -",
      "head /c/{code}: 405 -",
      "get /openapi.json: 200 application/json",
    ]) {
      assert.ok(seen.includes(expected), `${expected}\n${seen.join("\n")}`);
    }
  });

  test("the hot routes and refusals answer as documented too", async () => {
    await check("post", "/v1/postback/{operatorKey}", {
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    await check("put", "/v1/postback/{operatorKey}");
    await check("head", "/v1/postback/{operatorKey}");
    await check("post", "/v1/programs", { headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(await check("get", "/c/{code}", {}, "no-such-link"), "404 text/html");
  });
});
