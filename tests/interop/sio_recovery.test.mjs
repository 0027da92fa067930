// socket.io-client 4.8 interop: connection state recovery (server_options::connection_state_recovery,
// Node's connectionStateRecovery). A client whose connection drops comes back with the same id,
// rooms and data, and gets every event it missed exactly once, in order, before new ones.
//
// A drop is either the server closing the transport (socket.conn.close(), "forced close") or a
// network cut: every TCP connection through a loopback proxy destroyed at once. The client
// reconnects (socket.connect()) only after the server has seen the drop, which an observer socket
// hears as "peer-disconnect": a restore needs a session that went away, not one still open.
import assert from "node:assert/strict";
import net from "node:net";
import { after, describe } from "node:test";
import { sioRule, useSioServer, MODES, connect, createSocket, awaitConnect, ack, ack1, unique } from "../lib/sio.mjs";

const WINDOW_MS = 3000;
// Short heartbeats: a cut polling client is noticed within ping_interval + ping_timeout.
const SERVER_ARGS = ["--recovery", String(WINDOW_MS), "--ping-interval", "300", "--ping-timeout", "400"];

/**
 * A TCP proxy to `server` whose network can go down: every connection is cut at once and new
 * ones are refused until it comes back (a polling client would otherwise just open a new one).
 */
async function cuttableProxy(server) {
  const target = new URL(server.url);
  const pairs = new Set();
  const halfOpen = new Set(); // server sides left open by halfCut
  let down = false;
  const proxy = net.createServer((inbound) => {
    if (down) return inbound.resetAndDestroy();
    const outbound = net.connect(Number(target.port), target.hostname);
    const pair = { inbound, outbound, half: false };
    pairs.add(pair);
    const drop = () => {
      if (pair.half) return;
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on("error", drop).on("close", drop);
    outbound.on("error", drop).on("close", drop);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${proxy.address().port}`,
    /** The network goes down: every connection reset on both sides, no close handshake. */
    cut() {
      down = true;
      for (const { inbound, outbound } of [...pairs]) {
        inbound.resetAndDestroy();
        outbound.resetAndDestroy();
      }
      pairs.clear();
    },
    /** The client's side drops, the server's stays open and silent (a half-open connection the
     *  server has not noticed): what the server writes there goes nowhere. */
    halfCut() {
      down = true;
      for (const pair of [...pairs]) {
        pair.half = true;
        pair.outbound.unpipe(pair.inbound);
        pair.outbound.on("data", () => {});
        pair.inbound.resetAndDestroy();
        halfOpen.add(pair.outbound);
      }
      pairs.clear();
    },
    /** The network is back. */
    restore() {
      down = false;
    },
    close: () => {
      for (const o of halfOpen) o.destroy();
      return new Promise((resolve) => proxy.close(resolve));
    },
  };
}

/** An observer: a socket in the room "observers", told of every disconnect (fixture contract). */
async function observer(server) {
  const o = await connect(server, { mode: "websocket" });
  await ack(o, "join", "observers");
  return {
    /** Resolves with the reason once the server has seen socket `id` of `nsp` go. */
    sawDisconnect: (id, nsp = "/") =>
      o.log
        .until(() => o.log.argsOf("peer-disconnect").find(([p]) => p.id === id && p.nsp === nsp), 8000, `server never saw ${id} go`)
        .then(([p]) => p.reason),
    emit: (...args) => o.emit(...args),
    socket: o,
  };
}

/** The first arguments of every `event` the socket got (the offset, its last argument, left off). */
const numbers = (s, event) => s.log.argsOf(event).map((a) => a[0]);
const range = (n) => Array.from({ length: n }, (_, i) => i);

/** Waits until the client itself has seen its `n`-th disconnect (it reconnects only after). */
const clientSawDisconnect = (s, n = 1) =>
  s.log.until(() => s.log.of("disconnect").length >= n, 8000, `the client saw no disconnect (${s.nsp})`);

/** Waits until `s` has `n` events named `event`. */
const gotCount = (s, event, n, timeout = 8000) =>
  s.log.until(() => s.log.of(event).length >= n, timeout, `${event}: ${numbers(s, event).length} of ${n}`);

describe("socket.io-client 4.8 interop: connection state recovery", () => {
  const server = useSioServer(SERVER_ARGS);
  const proxies = [];
  after(async () => Promise.all(proxies.map((p) => p.close())));
  const proxyFor = async (srv) => {
    const p = await cuttableProxy(srv);
    proxies.push(p);
    return p;
  };

  for (const mode of Object.keys(MODES)) {
    describe(mode, () => {
      for (const drop of ["server closes the transport", "network cut"]) {
        sioRule(`${mode}: ${drop} mid-stream: recovered with its id, rooms and data, every event once and in order`, async () => {
          const obs = await observer(server);
          const via = drop === "network cut" ? await proxyFor(server) : server;
          const s = createSocket(via, { mode });
          await awaitConnect(s, { mode });
          const id = s.id;
          const room = unique("room");
          await ack(s, "join", room);
          await ack(s, "set-data", { nick: "ann", n: 1 });
          const total = 80;
          s.emit("stream", "num", total, 10);
          await gotCount(s, "num", 10);

          if (drop === "network cut") via.cut();
          else s.emit("close-transport");
          const reason = await obs.sawDisconnect(id);
          assert.ok(["forced close", "transport close", "transport error", "ping timeout"].includes(reason), reason);
          await clientSawDisconnect(s);
          if (drop === "network cut") via.restore();
          // Broadcasts to its room while it is away are missed too.
          for (let i = 0; i < 3; i++) obs.emit("to-room", room, "gap", i);
          // Wait until the server has sent them (the observer is in no such room: ask it a round trip).
          await ack(obs.socket, "rooms");

          s.connect();
          await awaitConnect(s, { mode });
          assert.equal(s.recovered, true, "socket.recovered on the client");
          assert.equal(s.id, id, "same id");
          const state = await ack1(s, "state");
          assert.equal(state.recovered, true, "socket.recovered() on the server");
          assert.equal(state.id, id);
          assert.deepEqual(state.rooms.sort(), [id, room].sort());
          assert.deepEqual(state.data, { nick: "ann", n: 1 });

          await gotCount(s, "num", total);
          await gotCount(s, "gap", 3);
          assert.deepEqual(numbers(s, "num"), range(total), "no gap, no duplicate, in order");
          assert.deepEqual(numbers(s, "gap"), range(3));
          for (const [, offset] of s.log.argsOf("num")) assert.equal(typeof offset, "string", "each kept event carries its offset");
        });
      }

      sioRule(`${mode}: back before the server saw the drop: the pid takes the session over from the half-open connection`, async () => {
        const obs = await observer(server);
        const via = await proxyFor(server);
        const s = createSocket(via, { mode });
        await awaitConnect(s, { mode });
        const id = s.id;
        const room = unique("room");
        await ack(s, "join", room);
        const total = 60;
        s.emit("stream", "num", total, 10);
        await gotCount(s, "num", 10);
        via.halfCut();
        await clientSawDisconnect(s);
        obs.emit("to-room", room, "gap", 0);
        via.restore();
        s.connect();
        await awaitConnect(s, { mode });
        // The old connection went when the client came back, with the reason of a server-side close.
        // A polling client may also get its close packet through once the network is back
        // ("transport close"): then it is a plain recovery, which must hold as well.
        const reason = await obs.sawDisconnect(id);
        if (mode === "polling") assert.ok(["forced close", "transport close"].includes(reason), reason);
        else assert.equal(reason, "forced close");
        assert.equal(s.recovered, true);
        assert.equal(s.id, id);
        await gotCount(s, "num", total);
        await gotCount(s, "gap", 1);
        assert.deepEqual(numbers(s, "num"), range(total), "what went into the half-open connection is replayed");
        assert.deepEqual(numbers(s, "gap"), [0]);
      });

      sioRule(`${mode}: several namespaces on one connection each recover`, async () => {
        const obs = await observer(server);
        const via = await proxyFor(server);
        const { Manager } = await import("socket.io-client");
        const m = new Manager(via.url, { forceNew: true, reconnection: false, ...MODES[mode] });
        const main = createSocket(via, { manager: m, nsp: "/" });
        const custom = createSocket(via, { manager: m, nsp: "/custom" });
        await awaitConnect(main);
        await awaitConnect(custom);
        const ids = [main.id, custom.id];
        main.emit("stream", "a", 40, 10);
        custom.emit("stream", "b", 40, 10);
        await gotCount(main, "a", 5);
        via.cut();
        await obs.sawDisconnect(ids[0], "/");
        await clientSawDisconnect(main);
        await clientSawDisconnect(custom);
        via.restore();
        main.connect();
        custom.connect();
        await awaitConnect(main);
        await awaitConnect(custom);
        assert.deepEqual([main.recovered, custom.recovered], [true, true]);
        assert.deepEqual([main.id, custom.id], ids);
        await gotCount(main, "a", 40);
        await gotCount(custom, "b", 40);
        assert.deepEqual(numbers(main, "a"), range(40));
        assert.deepEqual(numbers(custom, "b"), range(40));
        m.engine?.close();
      });
    });
  }

  sioRule("many clients cut at once while a room broadcast runs: each gets every broadcast once, in order", async () => {
    const obs = await observer(server);
    const via = await proxyFor(server);
    const room = unique("crowd");
    const clients = [];
    for (let i = 0; i < 12; i++) {
      const mode = Object.keys(MODES)[i % 3];
      const s = createSocket(via, { mode });
      await awaitConnect(s, { mode });
      await ack(s, "join", room);
      clients.push(s);
    }
    const ids = clients.map((s) => s.id);
    const total = 150;
    let sent = 0;
    const sendSome = (n) => {
      for (const end = sent + n; sent < end; sent++) obs.emit("to-room", room, "tick", sent);
    };
    sendSome(30);
    await Promise.all(clients.map((s) => gotCount(s, "tick", 10)));
    via.cut();
    sendSome(30);  // while the server may not have seen the drop yet
    await Promise.all(ids.map((id) => obs.sawDisconnect(id)));
    await Promise.all(clients.map((s) => clientSawDisconnect(s)));
    via.restore();
    sendSome(30);  // while every client is away
    for (const s of clients) s.connect();
    sendSome(30);  // while they come back
    await Promise.all(clients.map((s) => awaitConnect(s)));
    sendSome(30);
    await Promise.all(clients.map((s) => gotCount(s, "tick", total)));
    for (const [i, s] of clients.entries()) {
      assert.equal(s.recovered, true, `client ${i} recovered`);
      assert.equal(s.id, ids[i]);
      assert.deepEqual(numbers(s, "tick"), range(total), `client ${i}: every tick once, in order`);
    }
  });
});

describe("socket.io-client 4.8 interop: connection state recovery, a replay larger than the send bound", () => {
  // 64 KiB per connection; the replay below is 800 KiB.
  const server = useSioServer([...SERVER_ARGS, "--max-buffered-bytes", String(64 * 1024)]);

  for (const mode of Object.keys(MODES)) {
    sioRule(`${mode}: the replay is paced by the connection, not cut as a slow consumer`, async () => {
      const obs = await observer(server);
      const s = createSocket(server, { mode });
      await awaitConnect(s, { mode });
      const id = s.id;
      await ack(s, "join", unique("room")); // something to keep: a socket with no offset yet cannot recover
      s.emit("stream", "warmup", 1, 1);
      await gotCount(s, "warmup", 1);
      s.emit("close-transport");
      await obs.sawDisconnect(id);
      await clientSawDisconnect(s);
      const total = 200;
      await ack(obs.socket, "stream-to", id, "big", total, 4096);
      s.connect();
      await awaitConnect(s, { mode });
      assert.equal(s.recovered, true);
      await gotCount(s, "big", total, 20000);
      assert.deepEqual(numbers(s, "big"), range(total));
      // Still connected: ask it a round trip, and it saw one disconnect only (the drop).
      assert.equal((await ack1(s, "state")).id, id);
      assert.equal(s.log.of("disconnect").length, 1);
    });
  }
});

describe("socket.io-client 4.8 interop: connection state recovery, past the window", () => {
  const windowMs = 300;
  const server = useSioServer(["--recovery", String(windowMs), "--ping-interval", "300", "--ping-timeout", "400"]);

  for (const mode of Object.keys(MODES)) {
    sioRule(`${mode}: a client back after max_disconnection_duration gets a new session`, async () => {
      const obs = await observer(server);
      const s = createSocket(server, { mode });
      await awaitConnect(s, { mode });
      const id = s.id;
      await ack(s, "join", unique("room"));
      s.emit("stream", "num", 5, 1);
      await gotCount(s, "num", 5);
      s.emit("close-transport");
      await obs.sawDisconnect(id);
      const gone = Date.now();
      await clientSawDisconnect(s);
      // The window is the behaviour under test: wait it out.
      await new Promise((resolve) => setTimeout(resolve, windowMs + 200 - (Date.now() - gone)));
      s.connect();
      await awaitConnect(s, { mode });
      assert.equal(s.recovered, false);
      assert.notEqual(s.id, id);
      const state = await ack1(s, "state");
      assert.equal(state.recovered, false);
      assert.deepEqual(state.rooms, [s.id], "a new session is in no room but its own");
    });
  }
});
