/** Options shared by the signing subcommands: the operator's secret and the signature time. */
import { decodeSecret } from "../domain/signing.ts";
import { type CliIo, UsageError } from "./io.ts";

/** Environment variables as passed in (runCli's `env`), never read from process.env here. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The operator's secret from --secret or $POSTWIRE_SECRET, decoded; undefined when neither is set. */
export function secretOf(given: string | undefined, env: Env): Uint8Array | undefined {
  const text = given ?? env["POSTWIRE_SECRET"];
  if (text === undefined || text.trim() === "") return undefined;
  const decoded = decodeSecret(text);
  if (!decoded.ok) {
    const from = given === undefined ? "POSTWIRE_SECRET" : "--secret";
    throw new UsageError(`${from}: ${decoded.error.message}`);
  }
  return decoded.value;
}

/** Unix seconds as given (1-12 digits), or now. */
export function unixSecondsOf(flag: string, given: string | undefined, io: CliIo): string {
  if (given === undefined) return String(Math.floor(io.now() / 1000));
  if (!/^\d{1,12}$/.test(given)) throw new UsageError(`--${flag} must be unix seconds, got "${given}"`);
  return given;
}
