/**
 * The baseline: a bare node:http server that answers every request with a 302, a Location and no
 * body, doing no other work. Same binary, same core and same load generator as the Postwire
 * variants, so the ratio shows what Postwire's work costs. Prints one JSON line like server.ts.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const LOCATION = "https://casino.example/welcome?cid=bench";

const server = createServer((request, response) => {
  // Drain any body so the connection stays usable for the next keep-alive request.
  request.resume();
  response.writeHead(302, { location: LOCATION, "content-length": "0" });
  response.end();
});
server.keepAliveTimeout = 5_000;

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${port}`, node: process.version, pid: process.pid })}\n`,
  );
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
