/**
 * A frozen copy of the code under test, so a long benchmark measures one version even while the
 * working tree changes: src/, test/helpers/ and bench/ copied into bench/results/snapshot-…/ (inside
 * the project, so node_modules still resolve), removed again at the end.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";

const ROOT = path.join(import.meta.dirname, "..");

/** Copies the code and returns the snapshot's bench folder and a remover. */
export function snapshotCode(): { benchDir: string; remove(): void } {
  const results = path.join(ROOT, "bench", "results");
  const dir = mkdtempSync(path.join(results, "snapshot-"));
  cpSync(path.join(ROOT, "src"), path.join(dir, "src"), { recursive: true });
  cpSync(path.join(ROOT, "test", "helpers"), path.join(dir, "test", "helpers"), { recursive: true });
  mkdirSync(path.join(dir, "bench"));
  for (const file of readdirSync(path.join(ROOT, "bench"))) {
    if (/\.(ts|lua)$/.test(file)) cpSync(path.join(ROOT, "bench", file), path.join(dir, "bench", file));
  }
  return { benchDir: path.join(dir, "bench"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
