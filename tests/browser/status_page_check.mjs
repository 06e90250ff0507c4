// Loads the admin port's status page in Debian's chromium (headless), checks that what it shows
// matches /api/v1/status, flips the routing with the page's button and its confirmation, checks
// that the routing changed, and saves a screenshot.
// Usage: node status_page_check.mjs <admin base URL> <screenshot path>
// Prints one JSON line; exits 0 when every check passed.
import { openPage } from "./chromium.mjs";

const [base, screenshot] = process.argv.slice(2);
const failures = [];
const check = (what, ok, detail) => { if (!ok) failures.push(`${what}: ${detail}`); };
const status = async () => (await fetch(base + "/api/v1/status")).json();
const fmtInt = (n) => Number(n).toLocaleString("en-US");

const { page, errors, close } = await openPage(base + "/");
try {
  await page.waitForFunction(() => document.getElementById("primary").textContent !== "–",
                             null, { timeout: 15000 });
  // Let a refresh with the current counters land, then compare.
  await page.waitForTimeout(2500);
  const s = await status();
  const shown = async (id) => (await page.textContent("#" + id)).trim();
  check("primary", await shown("primary") === s.routing.primary, await shown("primary"));
  check("write ack", await shown("write-ack") === s.write_ack, await shown("write-ack"));
  check("version", await shown("version") === s.version, await shown("version"));
  check("writes", await shown("writes-total") === fmtInt(s.counters.requests_write),
        `${await shown("writes-total")} vs ${s.counters.requests_write}`);
  check("reads", await shown("reads-total") === fmtInt(s.counters.requests_read),
        `${await shown("reads-total")} vs ${s.counters.requests_read}`);
  check("target failures", await shown("target-failures") === fmtInt(s.counters.target_write_failures),
        await shown("target-failures"));
  check("source nodes", (await shown("source-nodes")).startsWith(s.clusters.source.nodes.join(", ")),
        await shown("source-nodes"));
  check("target state", await shown("target-state") === (s.clusters.target.reachable ? "reachable" : "unreachable: " + (s.clusters.target.unreachable_reason || "")),
        await shown("target-state"));
  // The cutover panel shows the gate's verdict and the first thing it misses.
  await page.waitForFunction(() => document.getElementById("cutover-state").textContent !== "–",
                             null, { timeout: 15000 });
  const gate = await (await fetch(base + "/api/v1/cutover")).json();
  check("cutover verdict", await shown("cutover-state") === (gate.ready ? "READY for cutover" : "NOT READY"),
        await shown("cutover-state"));
  if (!gate.ready) {
    check("cutover missing", (await shown("cutover-missing")).includes(gate.missing[0]),
          await shown("cutover-missing"));
  }
  const before = s.routing.primary;
  const after = before === "source" ? "target" : "source";
  await page.click("#flip");
  await page.waitForSelector("#confirm-ok", { state: "visible" });
  const question = await page.textContent("#confirm-text");
  check("confirmation names the cluster", question.includes(after), question);
  await page.click("#confirm-ok");
  await page.waitForFunction((want) => document.getElementById("primary").textContent === want,
                             after, { timeout: 10000 });
  const s2 = await status();
  check("routing changed", s2.routing.primary === after, s2.routing.primary);
  check("no page errors", errors.length === 0, errors.join("; "));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ ok: failures.length === 0, before, after: s2.routing.primary, failures }));
} catch (e) {
  failures.push(String(e));
  console.log(JSON.stringify({ ok: false, failures }));
} finally {
  await close();
}
process.exit(failures.length === 0 ? 0 : 1);
