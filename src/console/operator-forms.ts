/**
 * Reading the operator page's forms into the API's inputs: settings (PATCH semantics of
 * updateOperator) and the mapping's rows (one per contract field). The rules stay the use cases';
 * here only the form's shape is read, and the use case's error fields are pointed at the inputs.
 */

import { KEY } from "../adapters/http/routes/admin/operator-json.ts";
import type { UpdateOperatorInput } from "../app/admin/operators.ts";
import { PostwireError } from "../domain/errors.ts";
import { STATUSES, type Status } from "../domain/model.ts";
import { CONTRACT_FIELDS, type ParamMapping } from "../domain/postback-params.ts";
import type { Form } from "./console-kit.ts";
import type { FormError } from "./form-fields.ts";
import { oneOf, required } from "./form-values.ts";

const KEY_PATTERN = new RegExp((KEY as { pattern?: string }).pattern ?? "^[A-Za-z0-9_-]{3,64}$");

/** One entry per non-empty line, trimmed. */
const listOf = (text: string | undefined): string[] =>
  (text ?? "")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

export function settingsInput(form: Form): UpdateOperatorInput {
  const key = required(form, "key", 64);
  if (!KEY_PATTERN.test(key))
    throw new PostwireError("invalid_field", "key is 3-64 letters, digits, - or _.", "key");
  const status = oneOf<Status>(STATUSES, form["status"], "status");
  return {
    name: required(form, "name"),
    key,
    status,
    ipAllowlist: listOf(form["ip_allowlist"]),
    trustedProxies: listOf(form["trusted_proxies"]),
  };
}

/** The API names list entries `ip_allowlist[2]`; the form has one input per list. */
export function settingsError(error: FormError): FormError {
  const base = error.field?.replace(/\[\d+\]$/, "");
  return base === error.field ? error : { ...error, field: base };
}

export function mappingInput(form: Form): ParamMapping {
  const params: Record<string, string> = {};
  const values: Record<string, Record<string, string>> = {};
  for (const f of CONTRACT_FIELDS) {
    const name = (form[`param_${f}`] ?? "").trim();
    if (name && name !== f) {
      if (Object.hasOwn(params, name))
        throw new PostwireError(
          "invalid_field",
          `${name} is already the name of ${params[name]}.`,
          `param_${f}`,
        );
      params[name] = f;
    }
    const pairs = listOf(form[`values_${f}`]);
    if (!pairs.length) continue;
    const map: Record<string, string> = {};
    for (const pair of pairs) {
      const at = pair.indexOf("=");
      if (at < 1)
        throw new PostwireError(
          "invalid_field",
          `Write each value as theirs=ours (got "${pair.slice(0, 80)}").`,
          `values_${f}`,
        );
      map[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
    }
    values[f] = map;
  }
  return { params, values };
}

/** The API's `mapping.params.<theirs>` / `mapping.values.<field>…` as the row's input. */
export function mappingError(error: FormError, form: Form): FormError {
  const at = error.field ?? "";
  let mapping: ParamMapping | undefined;
  try {
    mapping = mappingInput(form);
  } catch {
    return error; // the form's own refusal, already at its input
  }
  const PARAMS = "mapping.params.";
  const VALUES = "mapping.values.";
  const target = at.startsWith(PARAMS)
    ? mapping?.params[at.slice(PARAMS.length)]
    : at.startsWith(VALUES)
      ? at.slice(VALUES.length).split(".")[0]
      : undefined;
  if (!target) return error;
  return { ...error, field: `${at.startsWith(PARAMS) ? "param" : "values"}_${target}` };
}
