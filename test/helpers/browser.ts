/**
 * Headless Chromium for the console tests: Debian's `chromium` driven by playwright-core, with a
 * fresh profile per browser. In CI the browser must be there (.ci/run installs it); elsewhere the
 * tests skip with a message when it is missing.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

/** Why the browser tests cannot run here, or false when they can. In CI they always must. */
export const browserMissing: string | false =
  existsSync(CHROMIUM) || process.env["CI"] === "true" ? false : `no Chromium at ${CHROMIUM}`;

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where each run's screenshots go (git-ignored). */
export const SCREENSHOTS = path.join(import.meta.dirname, "..", "..", "test-results", "screenshots");

export interface Browser {
  readonly context: BrowserContext;
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), "postwire-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      // A page that runs script it should not (an alert from injected HTML) fails the test.
      page.on("dialog", (dialog) => {
        throw new Error(`unexpected dialog: ${dialog.message()}`);
      });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page PNG of `page` as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A new page signed in to the console at `baseUrl` with `apiKey` (cookies of earlier pages cleared). */
export async function signedInPage(browser: Browser, baseUrl: string, apiKey: string): Promise<Page> {
  const page = await browser.newPage();
  await page.context().clearCookies();
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel("API key").fill(apiKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${baseUrl}/`);
  return page;
}
