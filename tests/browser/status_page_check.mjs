// Loads the admin port's status page in Debian's chromium (headless), checks that what it shows
// matches /api/v1/status, that each chart of the last 15 minutes has the points of
// /api/v1/history (and the requests and backfill charts more than zero), that the backfill's
// per-table progress matches /api/v1/backfill, flips the routing with the page's button and its
// confirmation, checks that the routing changed, and saves a screenshot.
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
  // The charts: every one drawn with the history's points; traffic and the backfill show.
  const history = await (await fetch(base + "/api/v1/history")).json();
  for (const id of ["requests", "p99", "failures", "journal", "backfill"]) {
    const drawn = Number(await page.getAttribute("#chart-" + id, "data-points"));
    check("chart " + id + " points", drawn >= 2 && Math.abs(drawn - history.points.length) <= 1,
          `${drawn} drawn, ${history.points.length} in /api/v1/history`);
    const lines = await page.$$eval("#chart-" + id + " polyline", (ls) => ls.map((l) => l.getAttribute("points").trim().split(" ").length));
    check("chart " + id + " lines", lines.length >= 1 && lines.every((n) => n === drawn), JSON.stringify(lines));
  }
  for (const id of ["requests", "backfill"]) {
    const max = Number(await page.getAttribute("#chart-" + id, "data-max"));
    check("chart " + id + " shows activity", max > 0, String(max));
  }
  // Per-table backfill progress, as /api/v1/backfill has it.
  const backfill = await (await fetch(base + "/api/v1/backfill")).json();
  for (const t of backfill.tables || []) {
    const row = await page.$(`#backfill-tables tr[data-table="${t.table}"]`);
    check("backfill row " + t.table, row !== null, "missing");
    if (row) {
      const cells = await row.$$eval("td", (tds) => tds.map((td) => td.textContent.trim()));
      check("backfill rows " + t.table, cells[2] === fmtInt(t.rows), `${cells[2]} vs ${t.rows}`);
      check("backfill share " + t.table, cells[1] === (t.share_done * 100).toFixed(1) + "%", cells[1]);
      check("backfill units " + t.table, cells[3] === fmtInt(t.units_done) + " / " + fmtInt(t.units_total), cells[3]);
    }
  }
  check("backfill tables listed", (backfill.tables || []).length > 0, JSON.stringify(backfill));
  // The cutover panel shows the gate's verdict and the first thing it misses.
  await page.waitForFunction(() => document.getElementById("cutover-state").textContent !== "–",
                             null, { timeout: 15000 });
  const gate = await (await fetch(base + "/api/v1/cutover")).json();
  for (const t of gate.tables || []) {
    check("cutover row " + t.table, await page.$(`#cutover-tables tr[data-table="${t.table}"]`) !== null, "missing");
  }
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
