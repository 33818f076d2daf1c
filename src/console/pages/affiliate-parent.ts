/**
 * An affiliate's parent (sub-affiliate overrides), for admin keys: the parent earns the
 * `parentOverrideBps` share of the affiliate's commission set in the plan or the affiliate's deal.
 */
import type { Affiliate } from "../../domain/model.ts";
import { type FormError, field, formLevel, select } from "../form-fields.ts";
import { html } from "../html.ts";
import { csrfField, page, type Viewer } from "../layout.ts";

export function affiliateParentPage(
  affiliate: Affiliate,
  parentId: number | null,
  affiliates: readonly Affiliate[],
  viewer: Viewer,
  state: { error?: FormError; saved?: boolean; chosen?: string } = {},
): string {
  const others = affiliates.filter((a) => a.id !== affiliate.id);
  const parent = affiliates.find((a) => a.id === parentId);
  return page({
    title: `Parent of ${affiliate.name}`,
    viewer,
    path: `/setup/affiliates/${affiliate.id}/parent`,
    body: html`<p><a href="/setup">← Set-up</a></p>
<h1>Parent of ${affiliate.name} (${affiliate.id})</h1>
<p>The parent earns, on top, the share of this affiliate's commission that the plan or this affiliate's deal sets as its parent override (<code>parentOverrideBps</code>), as override entries of its own. Changing the parent does not rewrite entries already written.</p>
${state.saved ? html`<section class="created" role="status"><h2>Parent saved.</h2></section>` : ""}
<p>Now: ${parent ? html`<strong>${parent.name} (${parent.id})</strong>` : parentId !== null ? html`<strong>affiliate ${parentId}</strong>` : "no parent"}.</p>
<form method="post" action="/setup/affiliates/${affiliate.id}/parent" class="card narrow-card">
  ${formLevel("parent", state.error, ["parent_id"])}
  ${csrfField(viewer.csrf)}
  ${field(
    "parent",
    "parent_id",
    "Parent",
    select(
      [["", "No parent"], ...others.map((a) => [String(a.id), `${a.name} (${a.id})`] as const)],
      state.chosen ?? (parentId === null ? "" : String(parentId)),
    ),
    state.error,
  )}
  <button type="submit">Save parent</button>
</form>`,
  });
}
