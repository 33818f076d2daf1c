/**
 * An operator's parameter and value mapping (DESIGN §2): `btag` → `click_id`, `event`: `dep` → `ftd`.
 * Targets must be contract fields, or the mapping would silently produce `extra` parameters.
 */
import { PostwireError } from "../../domain/errors.ts";
import { AUTH_PARAMS, CONTRACT_FIELDS, LIMITS, type ParamMapping } from "../../domain/postback-params.ts";
import { isEventName } from "./validate.ts";

const isContractField = (name: string): boolean => (CONTRACT_FIELDS as readonly string[]).includes(name);
const FIELDS = CONTRACT_FIELDS.join(", ");

function checkParams(params: Readonly<Record<string, string>>): void {
  for (const [from, to] of Object.entries(params)) {
    const field = `mapping.params.${from}`;
    if (from.length === 0 || from.length > LIMITS.maxNameLength) {
      throw new PostwireError(
        "invalid_field",
        `Parameter names are 1-${LIMITS.maxNameLength} characters.`,
        field,
      );
    }
    if ((AUTH_PARAMS as readonly string[]).includes(from)) {
      throw new PostwireError(
        "invalid_field",
        `${from} is an authentication parameter and cannot be renamed.`,
        field,
      );
    }
    if (!isContractField(to)) {
      throw new PostwireError(
        "invalid_field",
        `${from} maps to "${to}", which is not one of: ${FIELDS}.`,
        field,
      );
    }
  }
}

function checkValues(values: ParamMapping["values"]): void {
  for (const [target, map] of Object.entries(values)) {
    if (!isContractField(target)) {
      throw new PostwireError(
        "invalid_field",
        `Value maps apply to contract fields only; "${target}" is not one of: ${FIELDS}.`,
        `mapping.values.${target}`,
      );
    }
    for (const [from, to] of Object.entries(map)) {
      const field = `mapping.values.${target}.${from}`;
      if (from.length > LIMITS.maxValueLength || to.length > LIMITS.maxValueLength) {
        throw new PostwireError(
          "invalid_field",
          `Values are at most ${LIMITS.maxValueLength} characters.`,
          field,
        );
      }
      if (target === "event" && !isEventName(to)) {
        throw new PostwireError("invalid_field", `"${to}" is not an event name.`, field);
      }
    }
  }
}

/** The mapping as stored; throws `invalid_field` naming the offending entry. */
export function checkMapping(mapping: ParamMapping): ParamMapping {
  checkParams(mapping.params);
  checkValues(mapping.values);
  return { params: { ...mapping.params }, values: { ...mapping.values } };
}

/** The operator's name for a contract field: the raw parameter mapped to it, else the field itself. */
export function operatorParamName(mapping: ParamMapping, field: string): string {
  const renamed = Object.entries(mapping.params).find(([, to]) => to === field);
  return renamed ? renamed[0] : field;
}

/** The operator's own spelling of a value (inverse value map), else the value itself. */
export function operatorValue(mapping: ParamMapping, field: string, value: string): string {
  const map = mapping.values[field];
  const raw = map ? Object.entries(map).find(([, to]) => to === value) : undefined;
  return raw ? raw[0] : value;
}
