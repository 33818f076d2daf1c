/** The sign-in page: an API key in a password field; the error, if any, next to it. */
import { html } from "../html.ts";
import { page } from "../layout.ts";

export function signInPage(error?: string): string {
  return page({
    title: "Sign in",
    body: html`<section class="card narrow">
  <h1>Sign in</h1>
  <p>Use an API key. An admin key shows everything; an operator or affiliate key shows its own data.</p>
  <form method="post" action="/sign-in" novalidate>
    <label for="api-key">API key</label>
    <input id="api-key" name="api_key" type="password" autocomplete="current-password" required
      spellcheck="false" placeholder="pw_…"${error ? html` aria-invalid="true" aria-describedby="api-key-error"` : ""}>
    ${error ? html`<p id="api-key-error" class="error" role="alert">${error}</p>` : ""}
    <button type="submit">Sign in</button>
  </form>
  <p class="hint">No key yet? <code>npm run postwire -- keys create --role admin</code> prints one.</p>
</section>`,
  });
}
