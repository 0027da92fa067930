// Turns the raw results of bench/recovery.sh into bench/RECOVERY.md.
//   node bench/recovery_report.mjs RECOVERY.jsonl RECOVERY.machine.json > RECOVERY.md
// Every figure is the median over the repetitions; every cost (on against off) is the median of the
// differences taken within each repetition (the two cases of a server measured seconds apart).
import { readFileSync } from "node:fs";
import { median, fmt, loadLines } from "./report_common.mjs";

// The third argument names the files as recovery.sh saves them beside the table (default RECOVERY).
const [resultsFile, machineFile, stem = "RECOVERY"] = process.argv.slice(2);
const rows = readFileSync(resultsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const machine = JSON.parse(readFileSync(machineFile, "utf8"));

// The figures of one run, by scenario.
for (const row of rows) {
  const r = row.r;
  if (row.name === "sessions") {
    // The second batch's RSS over the first's, per client: what the first batch left behind.
    Object.assign(row, { kib_per_session: (r.rss_kib - row.first.rss_kib) / r.clients });
  } else if (row.name === "connect") {
    Object.assign(row, { kib_per_client: r.kib_per_conn, cpu_per_conn: r.server_cpu_us_per_conn, conns: r.conns_per_s });
  } else {
    Object.assign(row, {
      rate: r.scenario === "bcast" ? r.deliveries_per_s : r.acks_per_s,
      p50: r.p50_us,
      p99: r.p99_us,
      cpu: r.server_cpu_us_per_msg,
      rss_mib: r.rss_kib / 1024,
      broadcasts: r.broadcasts,
      offset_share: r.scenario === "bcast" ? r.offsets / r.total_replies : NaN,
      pct_server: r.server_cpu_pct,
      pct_gen: r.gen_cpu_pct,
    });
  }
}

const pick = (name, server, recovery) => rows.filter((r) => r.name === name && r.server === server && r.recovery === recovery);
const med = (name, server, recovery, key) => median(pick(name, server, recovery).map((r) => r[key]));
const repsOf = [...new Set(rows.map((r) => r.rep))];
// on − off (or on ÷ off − 1 with relative) within each repetition, then the median.
const costs = (name, server, key, relative) =>
  repsOf
    .map((rep) => {
      const off = rows.find((r) => r.rep === rep && r.name === name && r.server === server && r.recovery === "off");
      const on = rows.find((r) => r.rep === rep && r.name === name && r.server === server && r.recovery === "on");
      if (!off || !on) return NaN;
      return relative ? (on[key] / off[key] - 1) * 100 : on[key] - off[key];
    })
    .filter((v) => Number.isFinite(v));
const cost = (name, server, key, relative = false) => median(costs(name, server, key, relative));
const spread = (name, server, key, relative, digits) => {
  const v = costs(name, server, key, relative);
  return v.length > 1 ? `${fmtSigned(Math.min(...v), digits)} … ${fmtSigned(Math.max(...v), digits)}` : "";
};
const fmtSigned = (x, digits = 0) => (Number.isFinite(x) ? `${x >= 0 ? "+" : "−"}${fmt(Math.abs(x), digits)}` : "–");
const fmtPct = (x) => (Number.isFinite(x) ? `${fmtSigned(x, 1)} %` : "–");

const servers = [
  ["sio", "sio"],
  ["node", `Node socket.io ${machine.socketio}`],
];
const reps = Math.max(...rows.map((r) => r.rep));
const clientsOf = (name) => rows.find((r) => r.name === name)?.r.clients ?? "–";

const out = [];
out.push("# Connection state recovery: what it costs when nothing is dropped (issue #14)");
out.push("");
out.push(
  `Written by \`bench/recovery.sh\` on ${machine.date} (sio at \`${machine.sio_commit}\`); ${reps} repetition(s)` +
    `${machine.smoke ? " (**smoke**: tiny counts, not a measurement)" : ""}. ` +
    "Each figure is the median over the repetitions; each cost is the median of the on − off differences measured " +
    "within one repetition (the two cases of a server run back to back, fresh processes for every run). " +
    "**Measured on a shared machine**: 2 cores, other engineers compiling at the same time (see Machine); the " +
    "absolute figures move with that load, the on/off comparison less so because both sides ran seconds apart."
);
out.push("");
out.push("## How it is measured");
out.push("");
out.push(
  "- **The cases.** `bench/sio_bench_server PORT` without and with `--recovery` " +
    "(`opts.connection_state_recovery.emplace()`: default bounds, sessions and packets kept 2 min); " +
    "`bench/peers/node_server.mjs PORT` without and with `--recovery` (`connectionStateRecovery: {}`, Node's defaults, " +
    "also 2 min). Everything else is bench/run.sh's contract: every socket joins room `bench`, `echo` is acked with its " +
    'argument, `bcast` does `io.to("bench").emit("bcast", data)`.'
);
out.push(
  `- **echo**: ${clientsOf("echo")} WebSocket clients, each with 1 \`emit("echo", payload, ack)\` outstanding; acks/s, p99 round trip, ` +
    "server CPU µs per ack. Acks carry no offset, so this is the cost of recovery on a socket's own traffic."
);
out.push(
  `- **bcast**: ${clientsOf("bcast")} clients, client 0 emits \`bcast\`, at most 2 broadcasts outstanding; deliveries/s, p99 emit → ` +
    "delivery, server CPU µs per delivery. With recovery on, every broadcast is numbered, kept, and carries its offset " +
    'as the last argument (`42["bcast",{…},"OFFSET"]`): the generator accepts that one extra string argument, checks ' +
    'everything else byte for byte and counts it (column "with offset": the share of deliveries that carried one, which ' +
    "shows that recovery really was on)."
);
out.push(
  `- **Memory.** *RSS per client*: the connect scenario, ${clientsOf("connect")} WebSocket clients up to Socket.IO CONNECT ` +
    "(server RSS after − before, ÷ clients, after a short settle). *RSS after bcast*: the server's RSS at the end of the " +
    "broadcast run. *Kept packets*: the same broadcast with " + `${clientsOf("kept")} clients (scenario "kept"), many more ` +
    "broadcasts a second; with recovery on the server keeps them (Node: every one younger than 2 min; sio: the newest " +
    "`max_packets`, 10,000, per namespace), so RSS on − off at the end of that run ÷ the broadcasts kept is what one " +
    "kept packet costs (a 32-byte payload, ~70 bytes on the wire)."
);
out.push(
  `- **Kept sessions**: the generator runs twice against one server, ${clientsOf("sessions")} clients each time. The first batch ` +
    "connects and goes away (TCP reset: a recoverable reason, so with recovery on the server keeps every session for " +
    "2 min); 1 s later a second batch connects. Off, the second batch reuses what the first freed; on, the kept " +
    "sessions still hold theirs: (RSS after the second batch − RSS after the first) ÷ clients, on − off, is what one " +
    "kept session costs."
);
out.push(`- **CPU** is the server's utime + stime from \`/proc/PID/stat\` over the measured interval. Placement: ${machine.pinning}.`);
out.push("");
out.push("## Results (medians)");
out.push("");
out.push(
  "| case | recovery | echo acks/s | echo p99 µs | echo CPU µs/ack | bcast deliveries/s | bcast p99 µs | bcast CPU µs/delivery | " +
    "with offset | RSS KiB per client | RSS after bcast MiB |"
);
out.push("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
for (const [server, label] of servers)
  for (const recovery of ["off", "on"]) {
    if (!pick("echo", server, recovery).length && !pick("bcast", server, recovery).length) continue;
    const share = med("bcast", server, recovery, "offset_share");
    out.push(
      `| ${label} | ${recovery} | ${fmt(med("echo", server, recovery, "rate"))} | ${fmt(med("echo", server, recovery, "p99"))} | ` +
        `${fmt(med("echo", server, recovery, "cpu"), 2)} | ${fmt(med("bcast", server, recovery, "rate"))} | ` +
        `${fmt(med("bcast", server, recovery, "p99"))} | ${fmt(med("bcast", server, recovery, "cpu"), 2)} | ` +
        `${Number.isFinite(share) ? `${fmt(share * 100)} %` : "–"} | ${fmt(med("connect", server, recovery, "kib_per_client"), 1)} | ` +
        `${fmt(med("bcast", server, recovery, "rss_mib"), 1)} |`
    );
  }
out.push("");
out.push("## The cost of recovery on (on against off, within each repetition)");
out.push("");
out.push("| case | scenario | rate | p99 | CPU µs per message | CPU per message | range of the CPU cost over the repetitions (µs) |");
out.push("|---|---|--:|--:|--:|--:|--:|");
for (const [server, label] of servers)
  for (const name of ["echo", "bcast", "kept"])
    out.push(
      `| ${label} | ${name} | ${fmtPct(cost(name, server, "rate", true))} | ${fmtPct(cost(name, server, "p99", true))} | ` +
        `${fmtSigned(cost(name, server, "cpu"), 3)} | ${fmtPct(cost(name, server, "cpu", true))} | ${spread(name, server, "cpu", false, 3)} |`
    );
out.push("");
const serverPct = median(rows.filter((r) => r.name !== "connect" && r.name !== "sessions").map((r) => r.pct_server));
out.push(
  `"kept" is the broadcast to ${clientsOf("kept")} clients: per delivery, the work recovery adds per broadcast (a number, ` +
    "the packet kept, the offset appended) weighs more there than with 1000 clients. " +
    `The servers used a median ${fmt(serverPct)} % of their core during the traffic runs: when that is well below 100 %, ` +
    "the rates and p99 say how the shared machine scheduled the processes more than what the server can do, and CPU µs " +
    "per message is the figure to compare."
);
out.push("");
out.push(
  `| case | RSS per connected client | RSS per client gone away (kept session) | RSS after bcast (${clientsOf("bcast")} clients) | ` +
    "kept: broadcasts sent | kept: broadcasts kept | kept: RSS | per kept broadcast |"
);
out.push("|---|--:|--:|--:|--:|--:|--:|--:|");
for (const [server, label] of servers) {
  const kib = cost("connect", server, "kib_per_client");
  const rss = cost("kept", server, "rss_mib");
  // sio keeps at most max_packets (10,000) per namespace; Node keeps every one younger than 2 min.
  const sent = med("kept", server, "on", "broadcasts");
  const kept = server === "sio" ? Math.min(sent, 10000) : sent;
  out.push(
    `| ${label} | ${fmtSigned(kib, 2)} KiB | ${fmtSigned(cost("sessions", server, "kib_per_session"), 2)} KiB | ` +
      `${fmtSigned(cost("bcast", server, "rss_mib"), 1)} MiB | ${fmt(sent)} | ${fmt(kept)} | ${fmtSigned(rss, 1)} MiB | ` +
      `${Number.isFinite(rss / kept) ? `${fmtSigned((rss * 1024 * 1024) / kept)} B` : "–"} |`
  );
}
out.push("");
out.push(
  "Each figure of this table is on − off (median over the repetitions of the difference within one). " +
    `Off / on medians of the kept-session figure (KiB per client): ${servers
      .map(([server, label]) => `${label} ${fmt(med("sessions", server, "off", "kib_per_session"), 2)} / ${fmt(med("sessions", server, "on", "kib_per_session"), 2)}`)
      .join("; ")}. ` +
    "Node's figures move with its garbage collector (RSS, not the heap). Not measured here: the time to restore a " +
    "session and replay what it missed (issue #14's tests check that nothing is lost or doubled, not how fast)."
);
out.push("");
out.push("## Machine");
out.push("");
out.push(`- CPU: ${machine.cpu}, ${machine.ncpu} cores${machine.virt ? `, ${machine.virt} guest` : ""}; ${machine.mem} RAM; Linux ${machine.kernel}`);
out.push(`- ${machine.compiler} (CMake Release, as bench/run.sh builds); Node ${machine.node}; socket.io ${machine.socketio}`);
for (const line of loadLines(machine, rows)) out.push(line);
out.push("");
out.push("## Per run");
out.push("");
out.push("| rep | scenario | case | recovery | 1-min load | steal % | rate/s | p99 µs | CPU µs/msg | KiB/client | RSS MiB | with offset | server CPU % | generator CPU % |");
out.push("|--:|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
for (const r of rows)
  out.push(
    `| ${r.rep} | ${r.name} | ${r.server} | ${r.recovery} | ${fmt(r.load, 2)} | ${fmt(r.steal, 1)} | ${fmt(r.rate)} | ${fmt(r.p99)} | ` +
      `${fmt(r.cpu, 2)} | ${fmt(r.kib_per_client ?? r.kib_per_session, 1)} | ${fmt(r.rss_mib ?? r.r.rss_kib / 1024, 1)} | ` +
      `${Number.isFinite(r.offset_share) ? `${fmt(r.offset_share * 100)} %` : ""} | ${fmt(r.pct_server)} | ${fmt(r.pct_gen)} |`
  );
out.push("");
out.push(`Raw results: \`${stem}.jsonl\` (one generator JSON per run), machine: \`${stem}.machine.json\`, beside this file.`);
console.log(out.join("\n"));
