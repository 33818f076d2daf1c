/** Entry point of the `postwire` executable. */
import { runCli } from "./postwire.ts";

process.exitCode = await runCli(process.argv.slice(2));
