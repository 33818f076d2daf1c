/**
 * Durable commits without blocking the event loop. In WAL mode, `synchronous=FULL` means exactly
 * one thing more than `NORMAL`: the WAL file is synced at every commit (https://sqlite.org/pragma.html#pragma_synchronous).
 * node:sqlite would do that sync on the main thread, stalling every request behind it. Instead the
 * connection runs with `NORMAL` and this class fdatasyncs the WAL in libuv's thread pool after each
 * write; callers answer only once their commit is covered. Concurrent callers share one sync: a call
 * made while a sync runs waits for the next one, which starts after that sync and so covers it.
 */
import { type FileHandle, open } from "node:fs/promises";

export type FileSync = (file: string) => Promise<void>;

export class WalSync {
  private readonly walPath: string;
  private readonly fileSync: FileSync | undefined;
  private handle: FileHandle | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(databaseFile: string, fileSync?: FileSync) {
    this.walPath = `${databaseFile}-wal`;
    this.fileSync = fileSync;
  }

  /** Resolves once every transaction committed before this call is on disk. */
  sync(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    const next = () => {
      this.queued = undefined;
      return this.start();
    };
    this.queued = this.running.then(next, next);
    return this.queued;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.queued]);
    await this.handle?.close();
    this.handle = undefined;
  }

  private start(): Promise<void> {
    const run = this.syncOnce().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async syncOnce(): Promise<void> {
    if (this.fileSync) return this.fileSync(this.walPath);
    this.handle ??= await open(this.walPath, "r");
    await this.handle.datasync();
  }
}
