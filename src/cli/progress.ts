/**
 * Progress of a long command on standard error: a bar redrawn in place on a terminal, plain
 * lines (every tenth of the way) otherwise, so a log or a pipe gets a few readable lines.
 */

export interface Progress {
  /** `done` of `total` units (total 0: unknown). */
  update(done: number): void;
  finish(): void;
}

export interface ProgressSink {
  /** Standard error is a terminal: the bar may be redrawn with a carriage return. */
  readonly tty: boolean;
  /** Writes text as it is (no line end added). */
  write(text: string): void;
}

const WIDTH = 30;

export function progressBar(
  sink: ProgressSink,
  label: string,
  total: number,
  unit: (n: number) => string,
): Progress {
  let lastTenth = -1;
  let drawn = false;
  const line = (done: number) => {
    const share = total > 0 ? Math.min(1, done / total) : 0;
    const of = total > 0 ? ` / ${unit(total)}` : "";
    const percent = total > 0 ? ` ${Math.floor(share * 100)}%` : "";
    return { share, text: `${label}${percent} ${unit(done)}${of}` };
  };
  return {
    update(done) {
      const { share, text } = line(done);
      if (sink.tty) {
        const filled = Math.round(share * WIDTH);
        sink.write(`\r[${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${text}\u001b[K`);
        drawn = true;
        return;
      }
      const tenth = Math.floor(share * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        sink.write(`${text}\n`);
      }
    },
    finish() {
      if (drawn) sink.write("\n");
    },
  };
}

/** Bytes as a person reads them. */
export const bytesText = (n: number): string =>
  n < 1024
    ? `${n} B`
    : n < 1024 * 1024
      ? `${(n / 1024).toFixed(1)} KB`
      : `${(n / 1024 / 1024).toFixed(1)} MB`;
