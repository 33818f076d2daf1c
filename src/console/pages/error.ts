/** An error page of the console: the status, the catalogue's code and the message, escaped. */
import { html } from "../html.ts";
import { page, type Viewer } from "../layout.ts";

export function errorPage(status: number, code: string, message: string, viewer?: Viewer): string {
  return page({
    title: `Error ${status}`,
    ...(viewer ? { viewer } : {}),
    body: html`<section class="card narrow">
  <h1>${status === 404 ? "Not found" : "Something went wrong"}</h1>
  <p class="error" role="alert">${message}</p>
  <p class="hint">Code <code>${code}</code> · <a href="/">Back to the console</a></p>
</section>`,
  });
}
