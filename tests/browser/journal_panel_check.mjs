// Reads the status page's Journal panel in chromium (issue 14, done-means 8) after a refresh has
// landed, saves a screenshot, and prints one JSON line with what the panel shows beside what
// /api/v1/journal says at the same moment. Exits 0 when the page loaded without errors.
// Usage: node journal_panel_check.mjs <admin base URL> <screenshot path>
import { openPage } from "./chromium.mjs";

const [base, screenshot] = process.argv.slice(2);
const { page, errors, close } = await openPage(base + "/");
let ok = false;
try {
  await page.waitForFunction(() => document.getElementById("journal-pending").textContent !== "–",
                             null, { timeout: 15000 });
  await page.waitForTimeout(2500);  // a second refresh: the drain rate needs two
  const shown = async (id) => (await page.textContent("#" + id)).trim();
  const api = await (await fetch(base + "/api/v1/journal")).json();
  const panel = {};
  for (const id of ["state", "pending", "eta", "replayed", "dead", "unsafe"]) {
    panel[id] = await shown("journal-" + id);
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  ok = errors.length === 0;
  console.log(JSON.stringify({ ok, panel, api_pending: api.pending, errors }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, errors: [...errors, String(e)] }));
} finally {
  await close();
}
process.exit(ok ? 0 : 1);
