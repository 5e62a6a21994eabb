// Opens pages in Chromium and hands what they computed back as JSON: nothing else.
// The rules live in Python (keras_psa.web.browser_pages).
// Usage: node open_pages.mjs REQUEST.json  (prints one JSON line on stdout)
// REQUEST: {node_modules, chromium, args, timeout_ms, pages: [{url, result, screenshot?,
//           viewport?}]}; each page is done when `window[result]` is defined.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const request = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { chromium } = await import(
  pathToFileURL(join(request.node_modules, 'playwright-core', 'index.mjs')).href);

const browser = await chromium.launch({
  executablePath: request.chromium, headless: true, args: request.args,
});
const pages = [];
try {
  for (const spec of request.pages) {
    const context = await browser.newContext({ viewport: spec.viewport || null });
    const page = await context.newPage();
    const console_ = [];
    const errors = [];
    page.on('console', (m) => console_.push({ type: m.type(), text: m.text() }));
    page.on('pageerror', (e) => errors.push(String(e && e.stack || e)));
    let result = null;
    let failure = null;
    try {
      await page.goto(spec.url, { timeout: request.timeout_ms });
      await page.waitForFunction((name) => window[name] !== undefined, spec.result,
                                 { timeout: request.timeout_ms, polling: 100 });
      result = await page.evaluate((name) => window[name], spec.result);
      if (spec.screenshot) await page.screenshot({ path: spec.screenshot });
    } catch (error) {
      failure = String(error && error.message || error);
    }
    pages.push({ url: spec.url, result, failure, console: console_, page_errors: errors });
    await context.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify({ pages }) + '\n');
