/**
 * The console's form parts, shared by every page with a form: a labelled field with its error
 * next to it (aria-invalid, aria-describedby), text inputs and selects that keep the submitted
 * value, and the error of a refused form that belongs to none of its fields.
 */
import { html, type SafeHtml } from "./html.ts";

/** A refused form: which form of the page (its id prefix), the field at fault (as the API names it), the message. */
export interface FormError {
  readonly form: string;
  readonly field: string | undefined;
  readonly message: string;
}

/** A submitted form's values, shown again when it is refused. */
export type Values = Readonly<Record<string, string | undefined>>;

/** A labelled field, with its error next to it when the form was refused for it. Its id is `${form}-${name}`. */
export function field(
  form: string,
  name: string,
  label: string,
  input: (attrs: SafeHtml) => SafeHtml,
  error: FormError | undefined,
  hint?: string,
): SafeHtml {
  const id = `${form}-${name}`;
  const wrong = error?.form === form && error.field === name;
  const describedBy = [wrong ? `${id}-error` : "", hint ? `${id}-hint` : ""].filter(Boolean).join(" ");
  const attrs = html`id="${id}" name="${name}"${wrong ? html` aria-invalid="true"` : ""}${describedBy ? html` aria-describedby="${describedBy}"` : ""}`;
  return html`<div class="field">
  <label for="${id}">${label}</label>
  ${input(attrs)}
  ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : ""}
  ${wrong ? html`<p class="error" id="${id}-error">${error.message}</p>` : ""}
</div>`;
}

/** An input of `type` (number, datetime-local…) holding `value`; `extra` adds attributes. */
export const input =
  (type: string, value: string | undefined, extra = html``) =>
  (attrs: SafeHtml) =>
    html`<input type="${type}" ${attrs} value="${value ?? ""}"${extra}>`;

/** A one-line text input holding `value`; `extra` adds attributes (required, maxlength…). */
export const text = (value: string | undefined, extra = html``) => input("text", value, extra);

/** A multi-line text input holding `value`. */
export const textArea =
  (value: string | undefined, extra = html``) =>
  (attrs: SafeHtml) =>
    html`<textarea ${attrs}${extra}>${value ?? ""}</textarea>`;

/** A select of `[value, label]` options with `chosen` selected. */
export const select =
  (options: ReadonlyArray<readonly [string, string]>, chosen: string | undefined) => (attrs: SafeHtml) =>
    html`<select ${attrs}>${options.map(
      ([value, label]) =>
        html`<option value="${value}"${value === chosen ? html` selected` : ""}>${label}</option>`,
    )}</select>`;

/** An error that belongs to no field of the form (shown above it). */
export const formLevel = (form: string, error: FormError | undefined, fields: readonly string[]) =>
  error?.form === form && (error.field === undefined || !fields.includes(error.field))
    ? html`<p class="error" role="alert">${error.message}</p>`
    : "";

/** A filter form's select: "Any" (no filter) first, then `options`, the one `chosen` selected. */
export const anyOf = (options: ReadonlyArray<readonly [string, string]>, chosen: string | undefined) =>
  select([["", "Any"], ...options], chosen ?? "");

/** Select options of named records: "Name (id)". */
export const namedOptions = (rows: readonly { readonly id: number; readonly name: string }[]) =>
  rows.map((r) => [String(r.id), `${r.name} (${r.id})`] as const);
