/**
 * Runs in a worker thread (comparison-threads.ts): one reconciliation's comparison, with its own
 * connection to the database (SQLite: its own connection to the file, a small page cache;
 * PostgreSQL: a pool of two), so the allocations of parsing and comparing a million rows land in
 * this thread's small, capped heap instead of the service's. Each chunk's rows are written in a
 * transaction of their own, so the service's writes never wait long for SQLite's one write lock.
 * Tells the parent what it found or why it stopped, and closes its connection.
 */
import { createReadStream } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { type Comparison, compareFile } from "../../app/reconcile/compare-file.ts";
import type { ReconciliationRun } from "../../app/reconcile/reconciliation-port.ts";
import { StorageUnavailableError } from "../../app/storage-errors.ts";
import { PostwireError } from "../../domain/errors.ts";
import type { ParamMapping } from "../../domain/postback-params.ts";
import { type DriverOptions, openDriver } from "../storage/open-driver.ts";
import { createReconciliationStore } from "../storage/reconciliation-store.ts";
import type { SqlDriver } from "../storage/sql-driver.ts";
import { type FileFormat, readEventFile } from "./event-file.ts";

export interface ComparisonWorkerData {
  readonly databaseUrl: string;
  readonly driver: DriverOptions;
  /** The spooled upload (spool.ts), read from here; the parent removes it. */
  readonly path: string;
  readonly format: FileFormat;
  readonly maxBytes: number;
  readonly run: ReconciliationRun;
  readonly mapping: ParamMapping;
  /** The parent's clock when the worker was started: this thread's clock runs on from it. */
  readonly now: number;
}

/** What the worker tells its parent. */
export type ComparisonMessage =
  | { readonly kind: "done"; readonly comparison: Comparison }
  | {
      readonly kind: "refused";
      readonly code: PostwireError["code"];
      readonly message: string;
      readonly field: string | undefined;
    }
  | { readonly kind: "unavailable"; readonly reason: string; readonly commitUnknown: boolean }
  | { readonly kind: "failed"; readonly message: string; readonly stack?: string | undefined };

const data = workerData as ComparisonWorkerData;
const port = parentPort!;
const tell = (message: ComparisonMessage) => port.postMessage(message);
const stopped = new AbortController();
port.on("message", (message: unknown) => {
  if (message === "stop") stopped.abort(new Error("the comparison was stopped (service shutdown)"));
});

const started = Date.now();
const clock = { now: () => data.now + (Date.now() - started) };
let db: SqlDriver | undefined;
try {
  db = openDriver(data.databaseUrl, data.driver);
  const compare = compareFile(
    { reconciliations: createReconciliationStore(db), clock },
    readEventFile(createReadStream(data.path), data.format, data.maxBytes),
    { signal: stopped.signal },
  );
  tell({ kind: "done", comparison: await compare(data.run, data.mapping) });
} catch (error) {
  // The database out of reach: answered 503 with the catalogue's message, as in the service's thread.
  if (error instanceof StorageUnavailableError)
    tell({ kind: "unavailable", reason: error.reason, commitUnknown: error.commitUnknown });
  else if (error instanceof PostwireError)
    tell({ kind: "refused", code: error.code, message: error.message, field: error.field });
  else if (error instanceof Error) tell({ kind: "failed", message: error.message, stack: error.stack });
  else tell({ kind: "failed", message: String(error) });
} finally {
  await db?.close();
  port.close();
}
