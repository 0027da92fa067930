// Turns the raw results of bench/run.sh into the Markdown table of bench/RESULTS.md.
//   node bench/report.mjs results.jsonl machine.json > RESULTS.md
// Every figure is the median over the repetitions; every ratio is the median of the ratios taken
// within each repetition (sio and its peer measured minutes apart, not hours).
import { existsSync, readFileSync } from "node:fs";
import { median, fmt, fmtRatio } from "./report_common.mjs";

const [resultsFile, machineFile] = process.argv.slice(2);
const rows = readFileSync(resultsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
// Messages one fully busy server core would carry: the CPU-time view of throughput, which neither
// a saturated generator nor other load on the machine distorts much.
for (const r of rows) if (r.r.server_cpu_us_per_msg > 0) r.r.per_cpu_s = 1e6 / r.r.server_cpu_us_per_msg;
const machine = JSON.parse(readFileSync(machineFile, "utf8"));

const get = (name, server, key) => rows.filter((r) => r.name === name && r.server === server).map((r) => r.r[key]);
const med = (name, server, key) => median(get(name, server, key));
const ratios = (name, a, b, key) => {
  const reps = [...new Set(rows.map((r) => r.rep))];
  return reps
    .map((rep) => {
      const x = rows.find((r) => r.rep === rep && r.name === name && r.server === a);
      const y = rows.find((r) => r.rep === rep && r.name === name && r.server === b);
      return x && y ? x.r[key] / y.r[key] : NaN;
    })
    .filter((v) => Number.isFinite(v));
};
const ratio = (name, a, b, key) => median(ratios(name, a, b, key));
const spread = (name, a, b, key) => {
  const v = ratios(name, a, b, key);
  return v.length > 1 ? `${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}` : "";
};


const names = [...new Set(rows.map((r) => r.name))];
const scenarioLabel = {
  "connect-1k": "connect",
  "connect-5k": "connect",
  "connect-10k": "connect",
  echo: "echo + ack, WebSocket",
  "echo-big": "echo + ack, 30 kB payloads, 16 in flight (back-pressure)",
  "bcast-1k": "broadcast to the room",
  "bcast-10k": "broadcast to the room",
  "poll-echo": "echo + ack, long-polling",
  idle: "idle WebSocket connections",
};
const metrics = {
  connect: [
    ["conns_per_s", "connections/s", 0],
    ["kib_per_conn", "server KiB per connection", 1],
    ["server_cpu_us_per_conn", "server CPU µs per connection", 0],
  ],
  traffic: [
    ["rate", "", 0],
    ["p50_us", "p50 latency µs", 0],
    ["p99_us", "p99 latency µs", 0],
    ["server_cpu_us_per_msg", "server CPU µs per message", 2],
    ["per_cpu_s", "messages per server CPU-second", 0],
    ["server_cpu_pct", "server CPU %", 0],
    ["gen_cpu_pct", "generator CPU %", 0],
  ],
};

const out = [];
const p = (s = "") => out.push(s);
const first = rows[0]?.r ?? {};
const clientsOf = (name) => rows.find((r) => r.name === name)?.r.clients;

p(machine.smoke ? "# Benchmark smoke run (tiny counts: the figures mean nothing)" : "# sio benchmark results");
p();
p(`Written by \`bench/run.sh\` on ${machine.date}; ${machine.reps} repetition(s). Each figure is the median over the`);
p("repetitions; each ratio is the median of the ratios measured within one repetition (sio and its");
p("peer a few seconds apart, each in a fresh server process). Regenerate with `bench/run.sh`;");
p("`bench/README.md` describes the scenarios, the generator and the server contract.");
p();
p("## Machine");
p();
p(`- CPU: ${machine.cpu}, ${machine.ncpu} cores${machine.virt ? `, ${machine.virt} guest` : ""}; ${machine.mem} RAM; Linux ${machine.kernel}`);
p(`- ${machine.pinning}`);
p(`- ${machine.compiler} (Release, -O3); Node ${machine.node}, socket.io ${machine.socketio}`);
p(`- RLIMIT_NOFILE ${machine.fd_limit} (hard limit of this sandbox)`);
p(
  `- Load average (1/5/15 min) at start ${machine.load_start}, at end ${machine.load_end}; 1-min load before each run:` +
    ` min ${Math.min(...machine.load_runs.split(" ").map(Number)).toFixed(2)},` +
    ` median ${median(machine.load_runs.split(" ").map(Number)).toFixed(2)},` +
    ` max ${Math.max(...machine.load_runs.split(" ").map(Number)).toFixed(2)}` +
    " (the benchmark itself keeps about 2 cores busy).",
);
p(`- Other processes above 5 % CPU at start: ${machine.busy_at_start || "none"}.`);
// Hypervisor steal per repetition: a repetition during which other guests took much of the CPU
// moves every figure in it (see "range over repetitions" below).
if (rows.some((r) => r.steal !== undefined)) {
  const reps = [...new Set(rows.map((r) => r.rep))];
  const perRep = reps.map((rep) => {
    const v = rows.filter((r) => r.rep === rep && r.steal !== undefined).map((r) => r.steal);
    return `${rep}: ${median(v).toFixed(1)} % (max ${Math.max(...v).toFixed(1)})`;
  });
  p(`- CPU time stolen by the hypervisor during the runs, median per repetition: ${perRep.join("; ")}.`);
}
p();
p("## Results");
p();
p("| scenario | metric | sio | Node | raw websocketpp | sio ÷ Node | sio ÷ websocketpp |");
p("|---|---|--:|--:|--:|--:|--:|");
for (const name of names) {
  const n = clientsOf(name);
  const label = `${scenarioLabel[name] ?? name} (${n} clients)`;
  const isConnect = name.startsWith("connect") || name === "idle";
  const list = isConnect ? metrics.connect : metrics.traffic;
  for (const [key0, title0, digits] of list) {
    let key = key0;
    let title = title0;
    if (key0 === "rate") {
      key = name.startsWith("bcast") ? "deliveries_per_s" : "acks_per_s";
      title = name.startsWith("bcast") ? "deliveries/s" : "acks/s";
    }
    if (name.startsWith("bcast") && key === "p50_us") title = "p50 emit→delivery µs";
    if (name.startsWith("bcast") && key === "p99_us") title = "p99 emit→delivery µs";
    if (name.startsWith("bcast") && key === "server_cpu_us_per_msg") title = "server CPU µs per delivery";
    if (name.startsWith("bcast") && key === "per_cpu_s") title = "deliveries per server CPU-second";
    if (!name.startsWith("bcast") && key === "per_cpu_s") title = "acks per server CPU-second";
    const mark = (srv) => (key0 === "rate" && med(name, srv, "gen_cpu_pct") >= 90 && med(name, srv, "server_cpu_pct") < 90 ? " †" : "");
    const s = med(name, "sio", key);
    const nd = med(name, "node", key);
    const w = med(name, "wspp", key);
    const showRatio = !["server_cpu_pct", "gen_cpu_pct"].includes(key);
    p(
      `| ${label} | ${title} | ${fmt(s, digits)}${mark("sio")} | ${fmt(nd, digits)}${mark("node")} | ${fmt(w, digits)}${mark("wspp")} | ` +
        `${showRatio ? fmtRatio(ratio(name, "sio", "node", key)) : ""} | ${showRatio ? fmtRatio(ratio(name, "sio", "wspp", key)) : ""} |`,
    );
  }
}
p();
if (rows.some((r) => r.server === "sio-metrics")) {
  // bench/run.sh --servers sio,sio-metrics: what the metrics cost (a ratio below 1 is a loss).
  p("### Metrics on ÷ off (sio-metrics ÷ sio; rate and per-CPU rows: below 1 is slower)");
  p();
  p("| scenario | metric | sio | sio-metrics | sio-metrics ÷ sio | spread |");
  p("|---|---|--:|--:|--:|--:|");
  for (const name of names) {
    if (name.startsWith("connect") || name === "idle") continue;
    const key = name.startsWith("bcast") ? "deliveries_per_s" : "acks_per_s";
    for (const k of [key, "per_cpu_s", "p99_us"]) {
      const sp = spread(name, "sio-metrics", "sio", k);
      p(`| ${scenarioLabel[name] ?? name} | ${k} | ${fmt(med(name, "sio", k), 0)} | ${fmt(med(name, "sio-metrics", k), 0)} | ` +
        `${fmtRatio(ratio(name, "sio-metrics", "sio", k))} | ${sp ?? ""} |`);
    }
  }
  p();
}
p("† the generator was the busier process (≥ 90 % of its core while the server used less): this server could carry more");
p("than measured; compare the per-CPU-second rows, which do not depend on the generator.");
p();
if (names.includes("idle")) {
  p("### Idle WebSocket connections: memory");
  p();
  p(`| server | connections held | RSS before, MiB | RSS held, MiB | KiB per connection | ${machine.idle_capped ? "100k connections, GiB (projected)" : "RSS held, GiB"} |`);
  p("|---|--:|--:|--:|--:|--:|");
  for (const [srv, title] of [["sio", "sio"], ["node", "Node"], ["wspp", "raw websocketpp"]]) {
    const base = med("idle", srv, "rss_base_kib");
    const per = med("idle", srv, "kib_per_conn");
    const total = med("idle", srv, "rss_kib");
    if (!Number.isFinite(per)) continue;
    const gib = machine.idle_capped ? (base + per * 100000) / 1024 / 1024 : total / 1024 / 1024;
    p(`| ${title} | ${clientsOf("idle")} | ${fmt(base / 1024, 1)} | ${fmt(total / 1024, 1)} | ${fmt(per, 2)} | ${gib.toFixed(2)} |`);
  }
  p();
}
if (machine.idle_capped) {
  p(
    `The idle scenario holds ${machine.idle} connections instead of ${machine.idle_target}: this sandbox's hard RLIMIT_NOFILE is` +
      ` ${machine.fd_limit} and CAP_SYS_RESOURCE is not granted, so neither the server nor the generator can hold more` +
      ` sockets. The 100k figure is projected as baseline RSS + 100000 × (KiB per connection); on a machine with a` +
      " higher hard limit, run.sh holds the full count.",
  );
  p();
}

// ---- budget ------------------------------------------------------------------------------
const checks = [];
const line = (what, value, must, stretch, better = "higher", cpuView = NaN, range = "") => {
  const ok = (x) => (better === "higher" ? value >= x : value <= x);
  let verdict;
  if (!Number.isFinite(value)) verdict = "not measured";
  else if (stretch !== undefined && ok(stretch)) verdict = "holds, stretch too";
  else if (ok(must)) verdict = stretch !== undefined ? "holds (stretch not)" : "holds";
  else verdict = "**does not hold**";
  checks.push(
    `| ${what} | ${better === "higher" ? "≥" : "≤"} ${must}${stretch !== undefined ? ` (stretch ${stretch})` : ""} | ` +
      `${Number.isFinite(value) ? value.toFixed(2) : "–"} | ${range} | ${Number.isFinite(cpuView) ? cpuView.toFixed(2) : ""} | ${verdict} |`,
  );
};
const cpu = (name, peer) => ratio(name, "sio", peer, "per_cpu_s");
line("echo acks/s ÷ Node", ratio("echo", "sio", "node", "acks_per_s"), 2.5, 3, "higher", cpu("echo", "node"), spread("echo", "sio", "node", "acks_per_s"));
line("echo acks/s ÷ websocketpp", ratio("echo", "sio", "wspp", "acks_per_s"), 0.8, 0.9, "higher", cpu("echo", "wspp"), spread("echo", "sio", "wspp", "acks_per_s"));
line("broadcast 10k deliveries/s ÷ Node", ratio("bcast-10k", "sio", "node", "deliveries_per_s"), 2.2, undefined, "higher", cpu("bcast-10k", "node"), spread("bcast-10k", "sio", "node", "deliveries_per_s"));
line("broadcast 10k deliveries/s ÷ websocketpp", ratio("bcast-10k", "sio", "wspp", "deliveries_per_s"), 0.9, undefined, "higher", cpu("bcast-10k", "wspp"), spread("bcast-10k", "sio", "wspp", "deliveries_per_s"));
line("broadcast 10k p99 ÷ Node", ratio("bcast-10k", "sio", "node", "p99_us"), 0.35, undefined, "lower", NaN, spread("bcast-10k", "sio", "node", "p99_us"));
line("broadcast 1k deliveries/s ÷ Node", ratio("bcast-1k", "sio", "node", "deliveries_per_s"), 2.5, undefined, "higher", cpu("bcast-1k", "node"), spread("bcast-1k", "sio", "node", "deliveries_per_s"));
line("connect 10k connections/s ÷ Node", ratio("connect-10k", "sio", "node", "conns_per_s"), 5, 7, "higher", NaN, spread("connect-10k", "sio", "node", "conns_per_s"));
line("idle KiB per connection (sio)", med("idle", "sio", "kib_per_conn"), 13, 11, "lower");
{
  const base = med("idle", "sio", "rss_base_kib");
  const per = med("idle", "sio", "kib_per_conn");
  const total = med("idle", "sio", "rss_kib");
  const gib = machine.idle_capped ? (base + per * 100000) / 1024 / 1024 : total / 1024 / 1024;
  line(`100k idle, GiB (sio${machine.idle_capped ? ", projected" : ""})`, gib, 1.5, undefined, "lower");
}
line("long-polling echo acks/s ÷ Node", ratio("poll-echo", "sio", "node", "acks_per_s"), 1.5, 3, "higher", cpu("poll-echo", "node"), spread("poll-echo", "sio", "node", "acks_per_s"));
p("## Budget (issue #6)");
p();
p("The verdict reads the measured ratio (throughput, as the budget is written); the CPU view is the same ratio");
p("in messages per server CPU-second, for the lines where the generator or the machine may have been the limit.");
p();
p("| line | target | measured | range over repetitions | CPU view | verdict |");
p("|---|---|--:|--:|--:|---|");
for (const c of checks) p(c);
p();
// Hand-written analysis kept beside the generated table (bench/results-notes.md), if any.
const notes = new URL("./results-notes.md", import.meta.url);
if (!machine.smoke && existsSync(notes)) p(readFileSync(notes, "utf8"));
process.stdout.write(out.join("\n"));
