/**
 * A tiny file system of the test's own (tmpfs), to fill up: SQLite's disk-full faults. Mounting
 * needs root (CI runs as root); elsewhere `tmpfsSupport()` says why the tests cannot run.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface Tmpfs {
  readonly dir: string;
  /** Writes a filler file until the file system is full. */
  fill(): void;
  /** Removes the filler: the space is back. */
  free(): void;
  /** Unmounts and removes the mount point. */
  remove(): void;
}

/** Undefined when a tmpfs can be mounted here, else why not (not root). */
export function tmpfsSupport(): string | undefined {
  return process.getuid?.() === 0 ? undefined : "mounting a tmpfs needs root";
}

export function mountTmpfs(sizeBytes: number): Tmpfs {
  const dir = mkdtempSync(path.join(tmpdir(), "postwire-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes}`, "tmpfs", dir], { timeout: 10_000 });
  const filler = path.join(dir, "filler");
  return {
    dir,
    fill() {
      const fd = openSync(filler, "a");
      const block = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) writeSync(fd, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
      }
      // The last partial block: byte by byte, down to nothing left.
      try {
        for (;;) writeSync(fd, block, 0, 512);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    remove() {
      try {
        execFileSync("umount", [dir], { timeout: 10_000 });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
