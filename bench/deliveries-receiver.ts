/**
 * The receiver of the delivery benchmark: a keep-alive node:http server on 127.0.0.1 that answers
 * `200 ok` at once, except under `/dead`, where it never answers (a hung endpoint: the sender's
 * timeout ends each attempt). Prints `{"port":…}` on stdout once listening; pinned by the caller.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const server = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    if (request.url?.startsWith("/dead")) return;
    response.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
    response.end("ok");
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
