/**
 * Loaded into every test file's process (`npm run test:unit`: `--import`). A file whose tests have
 * all finished but which left something open (a socket, a server, a child's pipe) would keep its
 * process, and so the whole run, waiting for ever: one CI run passed every test of
 * start-before-database.test.ts in 5.6 s, and its process then held the run until CI's 90 minutes
 * ran out. Here, once the file's tests are done and none has run for LINGER_MS, the process says
 * what is still open and exits, with the exit code the runner set (a failed test fails the run
 * from its own report either way).
 *
 * Not `--test-force-exit`: that exits once the tests known so far have finished, and silently
 * drops those a file declares after a top-level await (each `for (const engine of await …)` does).
 * The root hooks here see every test, early or late: a file stays as long as tests keep running.
 */
import { after, afterEach, beforeEach } from "node:test";

const LINGER_MS = 30_000;

// The runner's own process (no test of its own) is left alone; its children have this set.
if (process.env["NODE_TEST_CONTEXT"]) {
  let running = 0;
  let lastActivity = performance.now();
  beforeEach(() => {
    running++;
    lastActivity = performance.now();
  });
  afterEach(() => {
    running--;
    lastActivity = performance.now();
  });
  after(() => {
    // Unreferenced: a file with nothing open ends as usual, before this ever fires.
    setInterval(() => {
      if (running > 0 || performance.now() - lastActivity < LINGER_MS) return;
      process.stderr.write(
        `linger-guard: the tests are done but the process was kept alive for ${LINGER_MS / 1000} s by ${JSON.stringify(process.getActiveResourcesInfo())}; exiting\n`,
      );
      process.exit(process.exitCode ?? 0);
    }, 1000).unref();
  });
}
