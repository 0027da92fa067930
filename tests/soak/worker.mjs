// One soak worker process (forked by soak.mjs): runs its share of the clients and reports to the
// parent over IPC. Its clients:
// - socket.io-client in three transport modes (polling only, websocket only, polling then
//   upgrade), on 50 loopback source addresses. Each joins "soak" on every connect and, while
//   connected, sends pairs: to-room("ledger", "rec", id) then echo-ack(id). An ack proves that
//   the server handled the to-room before it (one connection is handled in order), so the
//   ledger client must have received `rec id` exactly once: that is the accounting of acked
//   messages. Some are killed abruptly now and then (the TCP connection destroyed or reset
//   without any close packet) and reconnect; a "storm" kills half of them at once.
// - slow readers: raw WebSockets and raw polling sessions in rooms "soak" and "slow" that never
//   read (WebSocket: the socket is paused; polling: no GET); one client per worker sends 64 KiB
//   to room "slow" every 100 ms. The server must disconnect them at max_buffered_bytes or at the
//   heartbeat (they answer no ping); each is replaced after 30 s (WebSocket) or the heartbeat
//   (polling), and a WebSocket one counts as dropped if its connection ends once it reads again.
//
// Messages from the parent: { type: "start", ... }, { type: "storm" }, { type: "leave" }.
// To the parent: { type: "ready" }, { type: "stats", ... } (after leave), { type: "error", message }.
import http from "node:http";
import { io } from "socket.io-client";
import { sioWs } from "../hostile/lib/engine.mjs";
import { httpRequest, loopbackAddress } from "../hostile/lib/wire.mjs";

const MODES = [
  { name: "polling", opts: { transports: ["polling"] } },
  { name: "websocket", opts: { transports: ["websocket"] } },
  { name: "upgrade", opts: { transports: ["polling", "websocket"], upgrade: true } },
];
const BLOB = "s".repeat(64 * 1024);
const SLOW_LIFETIME_MS = 30_000;

let config;
const stats = {
  connects: 0,
  connectErrors: 0,
  abrupt: 0,
  storms: 0,
  sent: 0,
  acked: [],
  ackFailures: 0,
  slowOpened: 0,
  slowClosedByServer: 0,
  slowPollingOpened: 0,
  maxConnected: 0,
};
const clients = [];
const slowReaders = new Set();
let leaving = false;
let connected = 0;

function rand(min, max) {
  return min + Math.random() * (max - min);
}

/** Kills a client's transport without any close packet: FIN or RST on its TCP connection(s). */
function killAbruptly(c) {
  const engine = c.socket.io.engine;
  if (!engine || !c.socket.connected) return false;
  stats.abrupt++;
  const ws = engine.transport?.ws?._socket;
  if (ws) {
    if (Math.random() < 0.5) ws.resetAndDestroy();
    else ws.destroy();
  } else {
    c.agent.destroy(); // every socket of the polling transport (the held GET, a POST in flight)
  }
  return true;
}

function startClient(index) {
  const mode = MODES[index % MODES.length];
  const localAddress = loopbackAddress(config.worker * 7 + index);
  const agent = new http.Agent({ keepAlive: true, localAddress });
  const socket = io(config.url, {
    ...mode.opts,
    forceNew: true,
    agent,
    localAddress,
    reconnection: true,
    reconnectionDelay: 200,
    reconnectionDelayMax: 2000,
    randomizationFactor: 0.5,
    timeout: 20_000,
  });
  const c = { index, mode: mode.name, socket, agent, seq: 0, timer: null };
  socket.on("connect", () => {
    stats.connects++;
    connected++;
    stats.maxConnected = Math.max(stats.maxConnected, connected);
    socket.emit("join", "soak");
  });
  socket.on("disconnect", () => {
    connected--;
  });
  socket.on("connect_error", () => {
    stats.connectErrors++;
  });
  const tick = () => {
    if (leaving) return;
    if (socket.connected) {
      const id = `${config.phase}.${config.worker}.${index}.${c.seq++}`;
      stats.sent++;
      socket.emit("to-room", "ledger", "rec", id);
      socket.timeout(30_000).emit("echo-ack", id, (err, reply) => {
        if (err) stats.ackFailures++;
        else if (reply === id) stats.acked.push(id);
      });
      if (Math.random() < config.abruptPerTick) killAbruptly(c);
    }
    c.timer = setTimeout(tick, rand(config.sendMinMs, config.sendMaxMs));
  };
  c.timer = setTimeout(tick, rand(0, config.sendMaxMs));
  clients.push(c);
}

async function startSlowWebSocket(i) {
  if (leaving) return;
  let ws;
  try {
    ws = await sioWs({ port: config.port, enginePath: "/socket.io/" }, { localAddress: loopbackAddress(200 + i) });
    await ws.text(`420["join",["soak","slow"]]`);
    await ws.nextText({ timeout: 20_000 });
  } catch {
    ws?.destroy();
    setTimeout(() => startSlowWebSocket(i), 500);
    return;
  }
  stats.slowOpened++;
  ws.pause();
  slowReaders.add(ws);
  // A paused socket does not see the server's FIN: after SLOW_LIFETIME_MS it reads again, and
  // if the server had dropped it the connection ends once what the kernel held is read.
  setTimeout(async () => {
    if (leaving) return;
    ws.conn.discard = true;
    ws.resume();
    const dropped = await ws.conn.waitClosed(5000);
    if (dropped) stats.slowClosedByServer++;
    slowReaders.delete(ws);
    ws.destroy();
    startSlowWebSocket(i);
  }, SLOW_LIFETIME_MS);
}

async function startSlowPolling(i) {
  if (leaving) return;
  const path = (q) => `/socket.io/?EIO=4&transport=polling${q}`;
  const localAddress = loopbackAddress(300 + i);
  try {
    const hs = await httpRequest(config.port, { path: path("") }, { localAddress });
    const { sid, pingInterval, pingTimeout } = JSON.parse(hs.body.toString().slice(1));
    await httpRequest(config.port, { method: "POST", path: path(`&sid=${sid}`), body: "40" }, { localAddress });
    await httpRequest(config.port, { path: path(`&sid=${sid}`) }, { localAddress, timeout: 20_000 }); // 40{"sid":...}
    await httpRequest(config.port, { method: "POST", path: path(`&sid=${sid}`), body: `42["join",["soak","slow"]]` }, { localAddress });
    stats.slowPollingOpened++;
    // Never GETs again: the server drops it at max_buffered_bytes or at the heartbeat.
    setTimeout(() => startSlowPolling(i), pingInterval + pingTimeout + 1000);
  } catch {
    setTimeout(() => startSlowPolling(i), 500);
  }
}

function startBlobSender() {
  const socket = io(config.url, { forceNew: true, transports: ["websocket"], reconnection: true, localAddress: loopbackAddress(400 + config.worker) });
  const tick = () => {
    if (leaving) return socket.disconnect();
    if (socket.connected) socket.emit("to-room", "slow", "blob", BLOB);
    setTimeout(tick, 100);
  };
  tick();
  return socket;
}

function leave() {
  leaving = true;
  // Half leave cleanly (DISCONNECT, then the Engine.IO close), half abruptly (no packet at all).
  for (const c of clients) {
    clearTimeout(c.timer);
    c.socket.io.reconnection(false);
    if (c.index % 2 === 1 && killAbruptly(c)) continue;
    c.socket.disconnect();
  }
  for (const ws of slowReaders) ws.conn.reset();
}

process.on("message", async (msg) => {
  try {
    if (msg.type === "start") {
      config = msg;
      for (let i = 0; i < config.clients; ++i) {
        startClient(i);
        if (i % 50 === 49) await new Promise((r) => setTimeout(r, 20)); // a ramp, not a wall
      }
      for (let i = 0; i < config.slowWebSockets; ++i) startSlowWebSocket(i);
      for (let i = 0; i < config.slowPolling; ++i) startSlowPolling(i);
      startBlobSender();
      process.send({ type: "ready" });
    } else if (msg.type === "storm") {
      stats.storms++;
      for (const c of clients) if (Math.random() < 0.5) killAbruptly(c);
    } else if (msg.type === "leave") {
      leave();
      // Exit once the (large) message is handed over.
      process.send({ type: "stats", worker: config.worker, ...stats }, () => process.exit(0));
    }
  } catch (err) {
    process.send({ type: "error", message: String(err?.stack ?? err) });
  }
});
