/**
 * An uploaded file written to a temporary file as fast as it arrives, then read from there. The
 * service's request timeout (REQUEST_TIMEOUT_MS) bounds how long a request body may take to
 * arrive; comparing a million rows takes longer than receiving them, so the upload is received
 * first (at the network's pace, into a file, not memory) and compared after.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { PostwireError } from "../../domain/errors.ts";

export interface Spooled {
  /** Where the file is (a worker thread reads it from there). */
  readonly path: string;
  /** The file's bytes, read back as a stream. */
  open(): AsyncIterable<Uint8Array>;
  /** Deletes the temporary file. */
  remove(): Promise<void>;
}

/** Writes `source` to a new temporary file; refuses (`payload_too_large`) past `maxBytes`. */
export async function spool(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Spooled> {
  const dir = await mkdtemp(path.join(tmpdir(), "postwire-upload-"));
  const file = path.join(dir, "upload");
  const remove = () => rm(dir, { recursive: true, force: true });
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes)
        done(new PostwireError("payload_too_large", `The file is larger than ${maxBytes} bytes.`));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(source, limit, createWriteStream(file));
  } catch (error) {
    await remove();
    throw error;
  }
  return { path: file, open: () => createReadStream(file), remove };
}
