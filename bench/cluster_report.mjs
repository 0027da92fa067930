// Turns the raw results of bench/cluster.sh into bench/CLUSTER.md.
//   node bench/cluster_report.mjs CLUSTER.jsonl CLUSTER.machine.json > CLUSTER.md
// Every figure is the median over the repetitions; every ratio is the median of the ratios taken
// within each repetition (the two clusters measured seconds apart).
import { readFileSync } from "node:fs";
import { median, fmt, fmtRatio, loadLines } from "./report_common.mjs";

// The third argument names the files as cluster.sh saves them beside the table (default CLUSTER).
const [resultsFile, machineFile, stem = "CLUSTER"] = process.argv.slice(2);
const rows = readFileSync(resultsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const machine = JSON.parse(readFileSync(machineFile, "utf8"));

// Derived figures of one run. pids: node A, node B, redis-server; ports: node A's clients, node B's.
for (const row of rows) {
  const r = row.r;
  const [a, b, redis] = r.pids.map((p) => p.cpu_s);
  const n = r.messages;
  const broadcasts = n / r.clients;  // in the measured interval: each one reached every client
  Object.assign(row, {
    deliveries: r.deliveries_per_s,
    cross: r.ports[1].per_s,
    p50: r.p50_us,
    p99: r.p99_us,
    p99_local: r.ports[0].p99_us,
    p99_cross: r.ports[1].p99_us,
    cpu_nodes: ((a + b) * 1e6) / n,
    cpu_a: (a * 1e6) / n,
    cpu_b: (b * 1e6) / n,
    cpu_redis: (redis * 1e6) / n,
    cpu_redis_bcast: (redis * 1e6) / broadcasts,
    per_cpu_s: n / (a + b),
    pct_nodes: ((a + b) / r.seconds) * 100,
    pct_redis: (redis / r.seconds) * 100,
    pct_gen: r.gen_cpu_pct,
    bcasts: broadcasts / r.seconds,
  });
}

const med = (clients, server, key) => median(rows.filter((r) => r.clients === clients && r.server === server).map((r) => r[key]));
const ratios = (clients, key) =>
  [...new Set(rows.map((r) => r.rep))]
    .map((rep) => {
      const x = rows.find((r) => r.rep === rep && r.clients === clients && r.server === "sio");
      const y = rows.find((r) => r.rep === rep && r.clients === clients && r.server === "node");
      return x && y ? x[key] / y[key] : NaN;
    })
    .filter((v) => Number.isFinite(v));
const ratio = (clients, key) => median(ratios(clients, key));
const spread = (clients, key) => {
  const v = ratios(clients, key);
  return v.length > 1 ? `${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}` : "";
};

const metrics = [
  ["deliveries", "deliveries/s, both nodes", 0],
  ["cross", "deliveries/s that crossed Redis (node B's clients)", 0],
  ["bcasts", "broadcasts/s (each to every client)", 0],
  ["p50", "p50 emit→delivery µs, all", 0],
  ["p99", "p99 emit→delivery µs, all", 0],
  ["p99_local", "p99 µs, node A's clients (local)", 0],
  ["p99_cross", "p99 µs, node B's clients (crossed Redis)", 0],
  ["cpu_nodes", "server CPU µs per delivery (A + B)", 2],
  ["cpu_a", "node A (the sender's) CPU µs per delivery", 2],
  ["cpu_b", "node B CPU µs per delivery", 2],
  ["per_cpu_s", "deliveries per server CPU-second", 0],
  ["cpu_redis", "redis-server CPU µs per delivery", 3],
  ["cpu_redis_bcast", "redis-server CPU µs per broadcast", 1],
  ["pct_nodes", "server CPU % (A + B, of one core)", 0],
  ["pct_redis", "redis-server CPU %", 1],
  ["pct_gen", "generator CPU %", 0],
];
const counts = [...new Set(rows.map((r) => r.clients))].sort((p, q) => q - p);
const reps = Math.max(...rows.map((r) => r.rep));

const out = [];
out.push("# sio cluster against Node cluster, through Redis (issue #13)");
out.push("");
out.push(
  `Written by \`bench/cluster.sh\` on ${machine.date}; ${reps} repetition(s)${machine.smoke ? " (**smoke**: tiny counts, not a measurement)" : ""}. ` +
    "Each figure is the median over the repetitions; each ratio is the median of the ratios measured within one repetition " +
    "(the two clusters a few seconds apart, fresh processes and a fresh redis-server for every run)."
);
out.push("");
out.push("## How it is measured");
out.push("");
out.push(
  "- **The clusters.** sio: two `bench/sio_bench_server --redis URL` processes (`sio::redis_adapter`, classic pub/sub, " +
    "one thread each). Node: two `bench/peers/node_server.mjs --redis URL` processes (socket.io " +
    `${machine.socketio} with \`@socket.io/redis-adapter\` ${machine.redis_adapter} \`createAdapter\` on node-redis ${machine.node_redis}). ` +
    `Each cluster has a redis-server of its own (${machine.redis}, no persistence) on a free loopback port, started for the run and stopped by PID.`
);
out.push(
  "- **The load.** `sio_bench_loadgen --scenario bcast --ports A,B --window 2` over WebSocket: clients alternate between " +
    "node A and node B, so each has half; client 0 (on node A) emits `bcast` with a 32-byte payload, node A does " +
    '`io.to("bench").emit("bcast", data)`, which reaches its own clients directly and node B\'s through Redis. At most 2 ' +
    "broadcasts are outstanding; one is done when every client has it. The generator checks that every client receives " +
    "every broadcast, in order, byte for byte, on both nodes (a run fails otherwise). Generator times: " +
    `\`${machine.generator_times}\` (seconds).`
);
out.push(
  "- **Latency** is from the emit to each delivery; a delivery to node B's clients crossed Redis (A → PUBLISH → " +
    "redis-server → B), so its p99 is the cross-node one."
);
out.push(
  "- **CPU** is each process's utime + stime from `/proc/PID/stat` over the measured interval (all threads), divided by " +
    "the deliveries of both nodes: node A, node B and redis-server separately. Per broadcast, redis-server receives one " +
    "PUBLISH and writes it to the one subscriber (node B; node A's own subscription gets it too and drops it by its uid)."
);
out.push(`- **Placement** on the 2 cores: ${machine.pinning}. The cluster's throughput is therefore what two nodes ` +
  "sharing one core carry, like bench/run.sh's one server on one core; Redis costs the generator's core a little.");
out.push("");
out.push("## Machine");
out.push("");
out.push(`- CPU: ${machine.cpu}, ${machine.ncpu} cores${machine.virt ? `, ${machine.virt} guest` : ""}; ${machine.mem} RAM; Linux ${machine.kernel}`);
out.push(`- ${machine.compiler} (Release, -O3); Node ${machine.node}; Redis ${machine.redis}`);
out.push(`- npm packages for the Node nodes from \`${machine.node_modules}\``);
for (const line of loadLines(machine, rows)) out.push(line);
out.push("");
out.push("## Results");
out.push("");
out.push("| clients | metric | sio cluster | Node cluster | sio ÷ Node | ratio per repetition |");
out.push("|--:|---|--:|--:|--:|--:|");
for (const clients of counts) {
  for (const [key, label, digits] of metrics) {
    const showRatio = !key.startsWith("pct_");
    out.push(
      `| ${clients} | ${label} | ${fmt(med(clients, "sio", key), digits)} | ${fmt(med(clients, "node", key), digits)} | ` +
        `${showRatio ? fmtRatio(ratio(clients, key)) : ""} | ${showRatio ? spread(clients, key) : ""} |`
    );
  }
}
out.push("");
out.push("## The goal of issue #13");
out.push("");
out.push("At least 2.5× Node's cluster in deliveries per second, with a p99 no worse (sio ÷ Node ≤ 1).");
out.push("");
out.push("| clients | deliveries/s, sio ÷ Node | p99 all, sio ÷ Node | p99 cross-node, sio ÷ Node | met |");
out.push("|--:|--:|--:|--:|---|");
for (const clients of counts) {
  const d = ratio(clients, "deliveries");
  const p = ratio(clients, "p99");
  const pc = ratio(clients, "p99_cross");
  const met = d >= 2.5 && p <= 1 && pc <= 1;
  out.push(`| ${clients} | ${fmtRatio(d)} | ${fmtRatio(p)} | ${fmtRatio(pc)} | ${met ? "yes" : "**no**"} |`);
}
out.push("");
out.push("## Per run");
out.push("");
out.push("| rep | clients | cluster | 1-min load | steal % | deliveries/s | cross-node/s | p99 µs | p99 cross µs | nodes µs/delivery | redis µs/delivery | generator CPU % |");
out.push("|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
for (const r of rows)
  out.push(
    `| ${r.rep} | ${r.clients} | ${r.server} | ${fmt(r.load, 2)} | ${fmt(r.steal, 1)} | ${fmt(r.deliveries)} | ${fmt(r.cross)} | ` +
      `${fmt(r.p99)} | ${fmt(r.p99_cross)} | ${fmt(r.cpu_nodes, 2)} | ${fmt(r.cpu_redis, 3)} | ${fmt(r.pct_gen)} |`
  );
out.push("");
out.push(`Raw results: \`${stem}.jsonl\` (one generator JSON per run), machine: \`${stem}.machine.json\`, beside this file.`);
console.log(out.join("\n"));
