// Prints the rows that HOSTILE_RESULTS collected as a Markdown table (one line per sweep point).
// Usage: node tests/hostile/lib/table.mjs results.jsonl
import { readFileSync } from "node:fs";

const rows = readFileSync(process.argv[2], "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line));

const mib = (kib) => (kib === undefined ? "" : (kib / 1024).toFixed(1));
const yes = (b) => (b ? "yes" : "**no**");
const bytes = (n) => (n === undefined ? "" : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);

console.log("| test | point | sent | peak (MiB) | growth / allowed (MiB) | survived | client after | clean exit | outcome |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  if (r.baselineKiB === undefined) {
    console.log(`| ${r.test} | ${r.point} | | | | | | | ${r.outcome} |`);
    continue;
  }
  const growth = r.killedForRss ? `>${mib(r.growthKiB)} (killed at the cap)` : mib(r.growthKiB);
  const over = r.growthKiB > r.allowedKiB ? "**" : "";
  const outcome = (r.failures?.length ? r.outcome : r.outcome || "ok").replace(/\|/g, "\\|");
  console.log(
    `| ${r.test} | ${r.point} | ${bytes(r.bytesSent)} | ${mib(r.peakKiB)} | ${over}${growth}${over} / ${mib(r.allowedKiB)} | ${yes(r.survived)} | ${yes(r.clientOk)} | ${yes(r.cleanExit)} | ${outcome} |`,
  );
}
