// Lighthouse on the staff console, signed in. Usage:
//   node audit.mjs BASE_URL EMAIL PASSWORD OUT_DIR PATH...
// Signs in through the console's own form in a puppeteer-driven Debian chromium, then runs
// Lighthouse in that same tab with storage reset off: the console keeps its token in the
// tab's sessionStorage, which a new tab or a storage reset would lose. Each path is audited
// with Lighthouse's desktop settings and its default (mobile: throttled CPU and network).
// Prints one JSON line per audit: {path, formFactor, performance, accessibility, ...}.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import puppeteer from "puppeteer-core";

const [base, email, password, outDir, ...paths] = process.argv.slice(2);
if (!paths.length) {
  console.error("usage: node audit.mjs BASE_URL EMAIL PASSWORD OUT_DIR PATH...");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  headless: true,
  userDataDir: join(outDir, "profile"),
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
  ],
});

async function signIn(page) {
  await page.goto(`${base}/console/`, { waitUntil: "networkidle0" });
  await page.locator('::-p-aria([name="Email"][role="textbox"])').fill(email);
  await page.locator('::-p-aria([name="Password"][role="textbox"])').fill(password);
  await page.locator('::-p-aria([name="Sign in"][role="button"])').click();
  await page.waitForSelector('::-p-aria([role="navigation"])', { timeout: 20000 });
}

const categories = ["performance", "accessibility", "best-practices"];
const settings = [
  ["desktop", desktopConfig],
  ["mobile", undefined],
];
let failed = false;
try {
  for (const path of paths) {
    for (const [formFactor, config] of settings) {
      const page = await browser.newPage();
      await signIn(page);
      const flags = {
        output: "json",
        logLevel: "error",
        onlyCategories: categories,
        disableStorageReset: true,
      };
      const result = await lighthouse(`${base}${path}`, flags, config, page);
      const lhr = result.lhr;
      // the audit counts only if it saw the signed-in screen, not the sign-in form
      const signedIn = await page.evaluate(() => !!document.querySelector("nav"));
      const name = `${path.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "")}-${formFactor}`;
      writeFileSync(join(outDir, `${name}.json`), result.report);
      const score = (id) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
      const metric = (id) => lhr.audits[id]?.numericValue ?? null;
      const failing = Object.values(lhr.audits)
        .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === "binary")
        .filter((a) => lhr.categories.accessibility.auditRefs.some((r) => r.id === a.id))
        .map((a) => a.id);
      console.log(
        JSON.stringify({
          path,
          formFactor,
          finalUrl: lhr.finalDisplayedUrl,
          performance: score("performance"),
          accessibility: score("accessibility"),
          bestPractices: score("best-practices"),
          fcpMs: metric("first-contentful-paint"),
          lcpMs: metric("largest-contentful-paint"),
          tbtMs: metric("total-blocking-time"),
          cls: metric("cumulative-layout-shift"),
          accessibilityFailing: failing,
          signedIn,
          runtimeError: lhr.runtimeError?.message ?? null,
        }),
      );
      if (lhr.runtimeError || !signedIn) failed = true;
      await page.close();
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
