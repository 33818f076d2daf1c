/**
 * A fresh clone installs and runs on its own: Node 24 comes from the `node` npm package (declared in
 * `engines` and `devEngines.runtime`, its install script approved in `allowScripts`), the npm
 * scripts run on it whatever Node runs npm, and nothing the tests, sources or benchmarks read lies
 * outside the repository.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

const ROOT = path.join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));

test("Node 24: engines, devEngines.runtime and the `node` package agree, and the scripts run on it", () => {
  assert.equal(pkg.engines.node, ">=24");
  // `ignore`: npm itself may run on an older Node (README); the scripts get Node 24 from the package.
  // Version managers and CI set-up actions read devEngines.runtime to install the same Node.
  assert.deepEqual(pkg.devEngines.runtime, { name: "node", version: pkg.engines.node, onFail: "ignore" });
  assert.match(pkg.dependencies.node, /^\^24\./);
  assert.equal(pkg.allowScripts.node, true, "npm 11 runs the package's install script (the binary)");
  // This suite runs under `npm test`, whose PATH starts with node_modules/.bin.
  assert.ok(Number(process.versions.node.split(".")[0]) >= 24, `running on Node ${process.version}`);
});

test("no file under src/, test/ or bench/ reads from outside the repository (the shared folder beside it)", () => {
  const outside = new RegExp(["\\.\\./", "shared/"].join("(?:\\.\\./)*"));
  const files = ["src", "test", "bench"].flatMap((dir) =>
    readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && /\.(ts|json|sh)$/.test(entry.name))
      .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name))),
  );
  assert.ok(files.length > 100, `${files.length} files read`);
  const offenders = files.filter((file) => outside.test(readFileSync(path.join(ROOT, file), "utf8")));
  assert.deepEqual(offenders, []);
});
