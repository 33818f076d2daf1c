/**
 * A TCP proxy of the tests' own, between Postwire and PostgreSQL, that breaks connections the way
 * networks, proxies and failovers do: reset every open connection, stall them (bytes stop flowing
 * both ways, nothing is closed), refuse new ones, or cut a connection at a COMMIT: right after the
 * server has answered it (the answer never reaches the client: the ambiguous commit), or before it
 * reaches the server.
 */
import net from "node:net";

export interface FaultProxy {
  /** postgres://… through the proxy, for a database URL that went to the real server. */
  url(databaseUrl: string): string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Open connections now. */
  readonly open: number;
  /** Resets (RST) every open connection, both sides. */
  resetAll(): void;
  /** While on, no byte is forwarded on any connection, open or new (nothing is closed either). */
  stall(on: boolean): void;
  /** While on, new connections are reset at once. */
  refuse(on: boolean): void;
  /** Chunks held back by a stall so far (a statement is waiting on the database). */
  readonly held: number;
  /**
   * Arms a cut at the next COMMIT a client sends on a connection that, since its previous COMMIT,
   * sent `marker` (a txid travels as a statement parameter; undefined: any COMMIT). With
   * `forward` (the default) the COMMIT reaches the server, and once its answer arrives that answer
   * is dropped and the connection reset: committed, but the client cannot know. Without it the
   * connection is reset before the COMMIT is forwarded: not committed. Resolves once cut.
   */
  cutAtNextCommit(options?: { readonly marker?: string; readonly forward?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/** A simple-query message `Q` carrying exactly "COMMIT" (how `pg` sends client.query("COMMIT")). */
const COMMIT_MESSAGE = Buffer.concat([Buffer.from("Q"), Buffer.from([0, 0, 0, 11]), Buffer.from("COMMIT\0")]);

interface Pair {
  readonly client: net.Socket;
  readonly server: net.Socket;
  /** Bytes held back while stalled, per direction. */
  readonly held: { up: Buffer[]; down: Buffer[] };
  /** Set once this pair's COMMIT went up: the next bytes down are its answer. */
  cutting: (() => void) | undefined;
  /** The armed cut's marker went up on this connection since its last COMMIT. */
  marked: boolean;
}

interface Cut {
  readonly marker: string | undefined;
  readonly forward: boolean;
  readonly done: () => void;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let accepted = 0;
  let stalled = false;
  let refusing = false;
  let armed: Cut | undefined;
  let held = 0;

  const destroy = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.resetAndDestroy();
    pair.server.resetAndDestroy();
  };

  const forwardUp = (pair: Pair, chunk: Buffer) => {
    if (armed?.marker !== undefined && chunk.includes(armed.marker)) pair.marked = true;
    if (chunk.includes(COMMIT_MESSAGE)) {
      const cut = armed && (armed.marker === undefined || pair.marked) ? armed : undefined;
      pair.marked = false;
      if (cut) {
        armed = undefined;
        if (!cut.forward) {
          destroy(pair);
          cut.done();
          return;
        }
        pair.cutting = cut.done;
      }
    }
    pair.server.write(chunk);
  };
  const forwardDown = (pair: Pair, chunk: Buffer) => {
    if (pair.cutting) {
      const done = pair.cutting;
      destroy(pair);
      done();
      return;
    }
    pair.client.write(chunk);
  };

  const server = net.createServer((client) => {
    accepted++;
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const pair: Pair = {
      client,
      server: upstream,
      held: { up: [], down: [] },
      cutting: undefined,
      marked: false,
    };
    const hold = (list: Buffer[], chunk: Buffer) => {
      held++;
      list.push(chunk);
    };
    pairs.add(pair);
    client.on("data", (chunk: Buffer) => (stalled ? hold(pair.held.up, chunk) : forwardUp(pair, chunk)));
    upstream.on("data", (chunk: Buffer) =>
      stalled ? hold(pair.held.down, chunk) : forwardDown(pair, chunk),
    );
    const end = () => {
      if (pairs.has(pair)) destroy(pair);
    };
    for (const socket of [client, upstream]) {
      socket.on("error", end);
      socket.on("close", end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    url(databaseUrl) {
      const url = new URL(databaseUrl);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    },
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    get held() {
      return held;
    },
    resetAll() {
      for (const pair of [...pairs]) destroy(pair);
    },
    stall(on) {
      stalled = on;
      if (on) return;
      for (const pair of [...pairs]) {
        const { up, down } = pair.held;
        pair.held.up = [];
        pair.held.down = [];
        for (const chunk of up) forwardUp(pair, chunk);
        for (const chunk of down) if (pairs.has(pair)) forwardDown(pair, chunk);
      }
    },
    refuse(on) {
      refusing = on;
    },
    cutAtNextCommit(options = {}) {
      return new Promise<void>((resolve) => {
        armed = { marker: options.marker, forward: options.forward ?? true, done: resolve };
      });
    },
    async close() {
      for (const pair of [...pairs]) destroy(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
