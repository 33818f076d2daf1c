import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CONSOLE_PATHS } from "../../../src/console/console-routes.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: Record<string, Record<string, unknown>>;
};

/** [path, method] for every route in Fastify's printRoutes tree (full paths rebuilt from indentation). */
function registeredRoutes(tree: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const stack: string[] = [];
  for (const line of tree.split("\n")) {
    const m = /^([│ ]*)[├└]── (\S+) \(([^)]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of m[3]!.split(", ")) out.push([stack.join(""), method]);
  }
  return out;
}

const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

for (const engine of await availableEngines()) {
  describe(`GET /openapi.json (${engine})`, () => {
    let t: TestService;
    let doc: Doc;
    before(async () => {
      t = await startTestService(engine, { PUBLIC_URL: "https://track.example" });
      const response = await fetch(`${t.url}/openapi.json`);
      assert.equal(response.status, 200, "served without an API key");
      assert.match(response.headers.get("content-type") ?? "", /application\/json/);
      doc = JSON.parse(await response.text()) as Doc;
    });
    after(() => t.close());

    test("is an OpenAPI 3.1 document for this server", () => {
      assert.equal(doc.openapi, "3.1.0");
      assert.deepEqual((doc as unknown as { servers: unknown }).servers, [{ url: "https://track.example" }]);
    });

    test("lists every registered route and method (HEAD only where it is its own route)", () => {
      // The console's pages are not API; printRoutes shows its /assets/* route as /*.
      const routes = registeredRoutes(t.service.app.printRoutes({ commonPrefix: false })).filter(
        ([path]) => !CONSOLE_PATHS.includes(path) && path !== "/*",
      );
      assert.ok(routes.length > 30, `parsed ${routes.length} routes`);
      for (const [path, method] of routes) {
        const item = doc.paths[openApiPath(path)];
        assert.ok(item, `path ${path} is documented`);
        if (method !== "HEAD") assert.ok(item[method.toLowerCase()], `${method} ${path} is documented`);
      }
      assert.ok(doc.paths["/c/{code}"]?.["head"], "HEAD /c/{code} answers 405 and says so");
    });

    test("documents nothing that is not routed", () => {
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const method of Object.keys(item)) {
          const url = path.replace(/\{([^}]+)\}/g, ":$1");
          assert.ok(t.service.app.hasRoute({ method: method.toUpperCase(), url }), `${method} ${path}`);
        }
      }
    });

    test("admin operations carry the bearer scheme, schemas and error answers", () => {
      assert.ok(doc.components["securitySchemes"]?.["apiKey"]);
      for (const [path, item] of Object.entries(doc.paths)) {
        if (!path.startsWith("/v1/") || path.startsWith("/v1/postback")) continue;
        for (const [method, op] of Object.entries(item)) {
          assert.deepEqual(op["security"], [{ apiKey: [] }], `${method} ${path}`);
          const responses = op["responses"] as Record<string, unknown>;
          assert.ok(responses["401"] && responses["403"], `${method} ${path} lists its errors`);
          assert.ok(
            Object.keys(responses).some((s) => s.startsWith("2")),
            `${method} ${path} has a success answer`,
          );
        }
      }
      const create = doc.paths["/v1/programs"]!["post"]!;
      const body = (create["requestBody"] as { content: Record<string, { schema: Record<string, unknown> }> })
        .content["application/json"]!.schema;
      assert.equal(body["additionalProperties"], false);
      assert.ok((body["required"] as string[]).includes("landing_url_template"));
      const params = doc.paths["/v1/operators/{id}/postback-template"]!["get"]!["parameters"] as Array<{
        name: string;
      }>;
      assert.deepEqual(params.map((p) => p.name).sort(), ["id", "method", "syntax"]);
    });

    test("the postback contract is described with its parameters and answers", () => {
      const get = doc.paths["/v1/postback/{operatorKey}"]!["get"]!;
      const names = (get["parameters"] as Array<{ name: string }>).map((p) => p.name);
      for (const name of ["event", "txid", "click_id", "amount", "currency", "ts", "sig"])
        assert.ok(names.includes(name), name);
      assert.ok((get["responses"] as Record<string, unknown>)["409"]);
      const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/([A-Za-z]+)"/g) ?? [];
      for (const ref of refs) {
        const name = ref.split("/").pop()!.replace('"', "");
        assert.ok(doc.components["schemas"]?.[name], `${name} is defined`);
      }
    });
  });
}
