/**
 * A JSON postback body as parameter pairs. Numbers are taken from their source text (never through
 * a float), so `100.50` stays "100.50" and `1e3` reaches the amount parser as "1e3" and is refused.
 */
import { fail, ok, type Result } from "./errors.ts";

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

const NUMBER_SOURCE = Symbol("number-source");
interface NumberSource {
  readonly [NUMBER_SOURCE]: string;
}

/** Parse a flat JSON object of strings, numbers, booleans and nulls into [name, value] pairs. */
export function jsonParams(text: string): Result<Array<[string, string]>> {
  let parsed: unknown;
  try {
    const reviver: Reviver = (_key, value, context) =>
      typeof value === "number"
        ? ({ [NUMBER_SOURCE]: context?.source ?? String(value) } satisfies NumberSource)
        : value;
    parsed = JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]);
  } catch (error) {
    return fail("invalid_json", `The body is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed) || NUMBER_SOURCE in parsed) {
    return fail("invalid_json", "The body must be a JSON object of parameters.");
  }
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (value === null) continue;
    if (typeof value === "string") pairs.push([name, value]);
    else if (typeof value === "boolean") pairs.push([name, value ? "true" : "false"]);
    else if (typeof value === "object" && NUMBER_SOURCE in value)
      pairs.push([name, (value as NumberSource)[NUMBER_SOURCE]]);
    else
      return fail("invalid_field", `${name} must be a string, number or boolean, not a nested value.`, name);
  }
  const repeated = repeatedName(text);
  if (repeated !== undefined)
    return fail("ambiguous_parameter", `${repeated} is given more than once; send it once.`, repeated);
  return ok(pairs);
}

/** JSON.parse silently keeps the last of repeated names; a query string would be refused, so is this. */
function repeatedName(text: string): string | undefined {
  const seen = new Set<string>();
  // In valid JSON every quote outside a string opens one; a string followed by ':' is a name.
  for (const match of text.matchAll(/("(?:[^"\\]|\\.)*")\s*(:)?/g)) {
    if (match[2] === undefined) continue;
    const name = JSON.parse(match[1]!) as string;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}
