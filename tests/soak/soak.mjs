// The soak: many clients of mixed transports against one sio fixture for a while, with reconnect
// storms, abrupt disconnects and slow readers (tests/soak/worker.mjs runs the clients). Asserts
//   - 0 acked messages lost: every echo-ack the server acknowledged follows a to-room("ledger",
//     "rec", id) on the same connection, so the ledger client must have received `rec id`, and
//     exactly once (no id is received twice at all);
//   - after every client has left: the server's descriptors (/proc/PID/fd) back to the baseline
//     (+ fdTolerance), the sockets of room "soak" (fetch-sockets: the fixture exposes no count of
//     Engine.IO sessions, so Socket.IO sockets stand for them) back to 0, and RSS back to the
//     baseline + rssToleranceMiB. The baseline is taken after a warm-up phase with the same
//     clients, once they have left: the allocator keeps freed memory for reuse, so a cold start
//     is no baseline for RSS; a leak of a few KiB per session, over the tens of thousands of
//     sessions of the soak, shows above the tolerance;
//   - the server exits with status 0 and no sanitizer report on SIGTERM.
//
// CLI (scripts/soak.sh runs it against a Release build):
//   node tests/soak/soak.mjs [--warmup SECONDS] [--duration SECONDS] [--clients N] [--workers N]
// tests/hostile/soak_short.test.mjs runs the short form in CI.
import { fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { io } from "socket.io-client";
import { startServer, sanitized } from "../hostile/lib/server.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PING_INTERVAL_MS = 10_000;
const PING_TIMEOUT_MS = 5_000;

function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

async function connected(url, what) {
  const socket = io(url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  await within(
    new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    }),
    10_000,
    `${what} connect`,
  );
  return socket;
}

const MiB = 1024;

/**
 * One phase: forks the workers, runs their clients for durationMs with `storms` reconnect storms,
 * has them leave, and resolves with their stats. Progress goes to log.
 */
async function runPhase(ctx, phase, { durationMs, storms }) {
  const { server, opts, failures, log, soakSockets, received } = ctx;
  const { clients, workers } = opts;
  const per = Math.ceil(clients / workers);
  const stats = [];
  const children = [];
  for (let w = 0; w < workers; ++w) {
    const child = fork(path.join(HERE, "worker.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    ctx.children.push(child);
    const ready = new Promise((resolve, reject) => {
      child.on("message", (m) => {
        if (m.type === "ready") resolve();
        else if (m.type === "stats") stats.push(m);
        else if (m.type === "error") failures.push(`${phase}, worker ${w}: ${m.message}`);
      });
      child.on("exit", (code) => code && reject(new Error(`worker ${w} exited with ${code}`)));
    });
    child.exited = new Promise((resolve) => child.on("exit", resolve));
    child.send({
      type: "start",
      phase,
      worker: w,
      url: server.url,
      port: server.port,
      clients: Math.min(per, clients - w * per),
      slowWebSockets: opts.slowWebSockets,
      slowPolling: opts.slowPolling,
      sendMinMs: opts.sendMinMs,
      sendMaxMs: opts.sendMaxMs,
      abruptPerTick: opts.abruptPerTick,
    });
    children.push({ child, ready });
  }
  await within(Promise.all(children.map((c) => c.ready)), 120_000, `${phase}: workers ready`);

  // Samples every second, storms evenly spaced, the sockets of "soak" every 5 s.
  const started = Date.now();
  const stormAt = Array.from({ length: storms }, (_, i) => started + ((i + 1) * durationMs) / (storms + 1));
  let lastCount = 0;
  while (Date.now() - started < durationMs) {
    await new Promise((r) => setTimeout(r, 1000));
    if (!server.alive) break;
    ctx.peakFds = Math.max(ctx.peakFds, server.fdCount() ?? 0);
    if (stormAt.length && Date.now() >= stormAt[0]) {
      stormAt.shift();
      for (const { child } of children) child.send({ type: "storm" });
      log(`${phase} ${((Date.now() - started) / 1000).toFixed(0)} s: reconnect storm`);
    }
    if (Date.now() - lastCount >= 5000) {
      lastCount = Date.now();
      const n = await soakSockets().catch(() => -1);
      ctx.peakSockets = Math.max(ctx.peakSockets, n);
      log(
        `${phase} ${((Date.now() - started) / 1000).toFixed(0)} s: ${n} sockets in "soak", ${server.fdCount()} fds, ` +
          `RSS ${(server.rssKiB() / MiB).toFixed(0)} MiB, ledger ${received.size} ids`,
      );
    }
  }
  if (!server.alive) throw new Error(`the server died during the ${phase} (${JSON.stringify(server.exitInfo)})\n${server.stderr.slice(0, 4000)}`);

  for (const { child } of children) child.send({ type: "leave" });
  await within(Promise.all(children.map(({ child }) => child.exited)), 60_000, `${phase}: workers exit`);
  if (stats.length !== workers) failures.push(`${phase}: ${stats.length} of ${workers} workers reported`);
  return stats;
}

/** Waits until descriptors and sockets are back to `target` (or the limit); returns what it saw. */
async function drain(ctx, target, limitMs) {
  const { server, soakSockets, opts } = ctx;
  const start = Date.now();
  let seen;
  for (;;) {
    seen = { fds: server.fdCount(), sockets: await soakSockets() };
    const done = seen.sockets === 0 && (target === null || seen.fds <= target.fds + opts.fdTolerance);
    if (done || Date.now() - start > limitMs) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  seen.rssKiB = server.rssKiB();
  seen.drainMs = Date.now() - start;
  return seen;
}

/**
 * Runs one soak; resolves with { figures, failures } (failures: what did not hold).
 * - clients: socket.io-client clients in all (split over `workers` processes);
 * - warmupMs: a first phase with the same clients, after which the baseline is taken (the
 *   allocator has then seen a full load: RSS compared with a cold start would count what it
 *   keeps for reuse, not what the server leaks);
 * - durationMs: the soak proper; storms: how many reconnect storms in it, evenly spaced;
 * - slowWebSockets / slowPolling: slow readers per worker;
 * - abruptPerTick: chance that a client is killed abruptly after one of its sends;
 * - rssToleranceMiB, fdTolerance: how far above the baseline RSS and descriptors may end.
 */
export async function runSoak(options = {}) {
  const opts = {
    clients: 2000,
    warmupMs: 30_000,
    durationMs: 180_000,
    workers: 2,
    storms: 3,
    slowWebSockets: 5,
    slowPolling: 3,
    sendMinMs: 1000,
    sendMaxMs: 3000,
    abruptPerTick: 0.01,
    rssToleranceMiB: 16,
    fdTolerance: 2,
    log: (line) => console.log(line),
    ...options,
  };
  const { log } = opts;
  const failures = [];
  const figures = { clients: opts.clients, warmupMs: opts.warmupMs, durationMs: opts.durationMs, workers: opts.workers, build: sanitized() ? "asan" : "release" };
  const server = await startServer("sio", ["--ping-interval", String(PING_INTERVAL_MS), "--ping-timeout", String(PING_TIMEOUT_MS)], {
    rssCapMiB: 8192,
  });
  const ctx = { server, opts, failures, log, children: [], peakFds: 0, peakSockets: 0, received: new Map() };
  let ledger;
  let probe;
  const drainLimit = PING_INTERVAL_MS + PING_TIMEOUT_MS + 20_000; // a vanished polling client is found by the heartbeat
  try {
    // The ledger: every `rec id` the server delivers, counted per id.
    ledger = await connected(server.url, "ledger");
    await within(ledger.emitWithAck("join", "ledger"), 10_000, "ledger join");
    let ledgerDisconnected = null;
    ledger.on("rec", (id) => ctx.received.set(id, (ctx.received.get(id) ?? 0) + 1));
    ledger.on("disconnect", (reason) => (ledgerDisconnected = reason));
    probe = await connected(server.url, "probe");
    ctx.soakSockets = async () => (await within(probe.emitWithAck("fetch-sockets", "soak"), 20_000, "fetch-sockets")).length;

    figures.cold = { fds: server.fdCount(), rssKiB: server.rssKiB() };
    log(`cold start: ${figures.cold.fds} fds, RSS ${(figures.cold.rssKiB / MiB).toFixed(1)} MiB`);

    const warmStats = await runPhase(ctx, "warm-up", { durationMs: opts.warmupMs, storms: 1 });
    const baseline = await drain(ctx, figures.cold, drainLimit);
    figures.baseline = baseline;
    log(`baseline after the warm-up: ${baseline.fds} fds, ${baseline.sockets} sockets, RSS ${(baseline.rssKiB / MiB).toFixed(1)} MiB (${baseline.drainMs} ms to drain)`);

    const stats = [...warmStats, ...(await runPhase(ctx, "soak", { durationMs: opts.durationMs, storms: opts.storms }))];

    // A marker through the same server after every ack: the ledger has everything once it has this.
    probe.emit("to-room", "ledger", "rec", "END");
    await within(
      new Promise((resolve) => {
        const check = () => (ctx.received.has("END") ? resolve() : setTimeout(check, 50));
        check();
      }),
      30_000,
      "the ledger's end marker",
    );

    // The accounting (both phases).
    const acked = stats.flatMap((s) => s.acked);
    const lost = acked.filter((id) => !ctx.received.has(id)).length;
    const duplicated = [...ctx.received.values()].filter((n) => n > 1).length;
    const sum = (k) => stats.reduce((acc, x) => acc + (x[k] ?? 0), 0);
    Object.assign(figures, {
      sent: sum("sent"),
      acked: acked.length,
      ledgerReceived: ctx.received.size - 1,
      lost,
      duplicated,
      ackFailures: sum("ackFailures"),
      connects: sum("connects"),
      connectErrors: sum("connectErrors"),
      abruptDisconnects: sum("abrupt"),
      stormsPerWorker: sum("storms") / opts.workers,
      slowWebSocketsOpened: sum("slowOpened"),
      slowWebSocketsClosedByServer: sum("slowClosedByServer"),
      slowPollingOpened: sum("slowPollingOpened"),
      peakSockets: ctx.peakSockets,
      peakFds: ctx.peakFds,
      peakRssKiB: server.hwmKiB(),
      ledgerDisconnected,
    });
    if (ledgerDisconnected) failures.push(`the ledger was disconnected (${ledgerDisconnected}): the accounting is void`);
    if (lost) failures.push(`${lost} acked messages lost (of ${acked.length})`);
    if (duplicated) failures.push(`${duplicated} messages received more than once`);
    const runMs = opts.warmupMs + opts.durationMs;
    const expectedMin = (opts.clients * runMs) / ((opts.sendMinMs + opts.sendMaxMs) / 2) / 4;
    if (acked.length < expectedMin) failures.push(`only ${acked.length} messages acked (expected at least ${Math.round(expectedMin)})`);

    const after = await drain(ctx, baseline, drainLimit);
    figures.after = after;
    figures.rssToleranceMiB = opts.rssToleranceMiB;
    figures.fdTolerance = opts.fdTolerance;
    if (after.sockets !== 0) failures.push(`${after.sockets} sockets still in "soak" ${after.drainMs} ms after everyone left`);
    if (after.fds > baseline.fds + opts.fdTolerance) failures.push(`${after.fds} descriptors after, baseline ${baseline.fds} (+${opts.fdTolerance} allowed)`);
    const rssGrowthMiB = (after.rssKiB - baseline.rssKiB) / MiB;
    if (rssGrowthMiB > opts.rssToleranceMiB) {
      failures.push(`RSS ${(after.rssKiB / MiB).toFixed(1)} MiB after, baseline ${(baseline.rssKiB / MiB).toFixed(1)} MiB: +${rssGrowthMiB.toFixed(1)} MiB > ${opts.rssToleranceMiB} MiB`);
    }
    log(
      `after the soak (${after.drainMs} ms to drain): ${after.fds} fds (baseline ${baseline.fds}), ${after.sockets} sockets, ` +
        `RSS ${(after.rssKiB / MiB).toFixed(1)} MiB (baseline ${(baseline.rssKiB / MiB).toFixed(1)}, peak ${(figures.peakRssKiB / MiB).toFixed(1)})`,
    );
  } catch (err) {
    failures.push(err.message);
  } finally {
    for (const child of ctx.children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    ledger?.disconnect();
    probe?.disconnect();
    const wasAlive = server.alive;
    const exit = await server.stop();
    figures.exit = { code: exit.code, signal: exit.signal };
    if (wasAlive && (exit.code !== 0 || exit.signal)) failures.push(`exit on SIGTERM: code ${exit.code}, signal ${exit.signal}\n${exit.stderr.slice(-3000)}`);
    if (exit.report) failures.push(`sanitizer report:\n${exit.report}`);
  }
  return { figures, failures };
}
// CLI
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const { figures, failures } = await runSoak({
    warmupMs: arg("--warmup", 30) * 1000,
    durationMs: arg("--duration", 180) * 1000,
    clients: arg("--clients", 2000),
    workers: arg("--workers", 2),
  });
  console.log(JSON.stringify(figures, null, 2));
  if (failures.length) {
    console.error(`SOAK FAILED:\n- ${failures.join("\n- ")}`);
    process.exit(1);
  }
  console.log("SOAK PASSED");
}
