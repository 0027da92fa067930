// What bench/report.mjs, cluster_report.mjs and recovery_report.mjs share: medians, number
// formatting, and the lines that say how loaded the machine was.

/** The median of the finite values (NaN when there is none). */
export const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

/** `digits` decimals; whole numbers of 1000 and more with thousands separators; "–" for none. */
export const fmt = (x, digits = 0) => {
  if (!Number.isFinite(x)) return "–";
  if (Math.abs(x) >= 1000 && digits === 0) return Math.round(x).toLocaleString("en-US");
  return x.toFixed(digits);
};

export const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "–");

/** The "Machine" section's lines on load: load averages, busy processes, stolen CPU (rows[].steal). */
export function loadLines(machine, rows) {
  const runLoads = machine.load_runs.split(" ").map(Number).filter(Number.isFinite);
  const steal = rows.map((r) => r.steal);
  return [
    `- /proc/loadavg at start \`${machine.load_start}\`, at end \`${machine.load_end}\`; 1-min load before each run: ` +
      `min ${fmt(Math.min(...runLoads), 2)}, median ${fmt(median(runLoads), 2)}, max ${fmt(Math.max(...runLoads), 2)} ` +
      "(the benchmark itself keeps about 2 cores busy).",
    `- Other processes above 5 % CPU at start: ${machine.busy_at_start || "none"}; compilers (cc1plus) running at start: ${machine.compilers_at_start}.`,
    `- CPU time stolen by the hypervisor during the runs: median ${fmt(median(steal), 1)} %, max ${fmt(Math.max(...steal), 1)} %.`,
  ];
}
