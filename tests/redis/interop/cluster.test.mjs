// sio and Node servers in one cluster through Redis (classic pub/sub mode, docs/redis-wire.md §2):
// a real redis-server on a free loopback port, two sio nodes (tests/redis/cluster_node.cpp) and one
// Node node (node_node.mjs: socket.io 4.8 + @socket.io/redis-adapter 8.3 on node-redis 5), two
// socket.io-client clients on each. A client asks its own node for an operation ("do-*" events);
// every operation is checked from each node towards each other node. Then @socket.io/redis-emitter,
// a sio node killed with SIGKILL, and redis-server restarted under connected clients.
//
// With SIO_REDIS_SHARDED=1 the same suite runs in sharded pub/sub mode (sio::redis_sharded_adapter,
// Node's createShardedAdapter on node-redis createCluster) on a 3-master Redis Cluster of its own
// (redis_cluster.mjs), once per subscriptionMode. What sharded mode lacks (allRooms, the emitters),
// the frozen node (Node's sharded adapter has a fixed 5 s request timeout) and the redis-server
// restart are skipped there, each with its reason.
//
// Absence is checked with a marker: a broadcast the sender makes afterwards, which every client
// receives; one publish connection per node and one subscriber per node keep the order, so after
// the marker nothing earlier from that sender is still on its way. In sharded mode a room may have
// a channel of its own on another shard, which keeps no order with the marker's: there every
// expected delivery is awaited first, and the marker then only bounds the absences.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Emitter } from "@socket.io/redis-emitter";
import { createClient, createCluster } from "redis";
import { io as connectClient } from "socket.io-client";
import { spawnListening } from "../../lib/server.mjs";
import { RedisCluster, freePort } from "./redis_cluster.mjs";

// Node writes handshake.time in the local time zone, sio in UTC: one zone for every process.
process.env.TZ = "UTC";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TESTS_DIR = path.resolve(HERE, "../..");
const BUILD_DIR = path.resolve(TESTS_DIR, process.env.SIO_BUILD_DIR || "../build");
const SIO_NODE = path.join(BUILD_DIR, "tests", "sio_redis_cluster_node");
const SIO_EMIT_CLI = path.join(BUILD_DIR, "tests", "sio_redis_emit_cli");
const REDIS_SERVER = process.env.SIO_REDIS_SERVER || "redis-server";
const REDIS_CLI = process.env.SIO_REDIS_CLI || "redis-cli";
const SHARDED = process.env.SIO_REDIS_SHARDED === "1";
// The classic mode, or Node's three subscriptionModes of the sharded adapter.
const MODES = SHARDED ? ["dynamic", "static", "dynamic-private"] : [null];
const REQUEST_TIMEOUT_MS = 2000; // every node's request timeout (Node's requestsTimeout)
const WAIT_MS = 8000; // the bound of every wait for something that must happen
// What a request that ends at the request timeout may take beyond it, seen from the test (round
// trips through a client, sanitizers, a busy machine): less than a second timeout would add.
const SLACK_MS = 1500;

/** Resolves with what `check()` gives once truthy: checked now and after every `on(notify)`, bounded. */
function until(check, ms, what, subscribe) {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${ms} ms: ${what}`));
    }, ms);
    const attempt = () => {
      const v = check();
      if (!v) return false;
      clearTimeout(timer);
      unsubscribe();
      resolve(v);
      return true;
    };
    if (!attempt()) unsubscribe = subscribe(attempt);
  });
}

/** Re-runs the async `probe` (a round trip each time, 20 ms apart) until it gives a truthy value, bounded. */
async function poll(probe, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20)); // between round trips, not to wait for an event
  }
}

/** A redis-server of the test's own, stopped by its PID; start() again reuses the port. */
class RedisProcess {
  async start() {
    this.port ??= await freePort();
    this.dir ??= mkdtempSync(path.join(os.tmpdir(), "sio-redis-interop-"));
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir];
    this.proc = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "inherit"] });
    this.exited = new Promise((r) => this.proc.on("exit", r));
    let out = "";
    this.proc.stdout.setEncoding("utf8");
    await until(() => /Ready to accept connections/.test(out), 10_000, "redis-server ready", (notify) => {
      const onData = (d) => {
        out += d;
        notify();
      };
      this.proc.stdout.on("data", onData);
      return () => this.proc.stdout.off("data", onData);
    });
    this.proc.stdout.resume(); // keep draining its log
  }
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async kill() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    process.kill(this.proc.pid, "SIGKILL");
    await this.exited;
  }
  async remove() {
    await this.kill();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A socket.io-client connection to one node, with everything it received. */
class Client {
  constructor(node, name, n) {
    Object.assign(this, { node, name, n, events: [], listeners: new Set() });
  }
  async connect() {
    this.socket = connectClient(`http://127.0.0.1:${this.node.port}`, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      query: { q: this.name },
      auth: { token: this.name },
      extraHeaders: { "x-test": this.name },
    });
    this.socket.onAny((event, ...args) => this.record(event, args));
    this.socket.on("disconnect", (reason) => this.record("disconnect", [reason]));
    // A broadcast with an ack: answered with the client's name.
    this.socket.on("ask", (...args) => args.at(-1)(this.name));
    await new Promise((resolve, reject) => {
      this.socket.once("connect", resolve);
      this.socket.once("connect_error", reject);
    });
    this.id = this.socket.id;
    return this;
  }
  record(event, args) {
    this.events.push([event, args]);
    for (const l of this.listeners) l();
  }
  argsOf(event) {
    return this.events.filter(([e]) => e === event).map(([, a]) => a);
  }
  /** Resolves with the first args of `event` that `match(args)` accepts, bounded. */
  next(event, match = () => true, ms = WAIT_MS) {
    return until(
      () => this.argsOf(event).find(match),
      ms,
      `${this.name} (on ${this.node.name}) receives ${event}`,
      (notify) => {
        this.listeners.add(notify);
        return () => this.listeners.delete(notify);
      },
    );
  }
  request(event, ...args) {
    return this.socket.timeout(WAIT_MS).emitWithAck(event, ...args);
  }
  close() {
    this.socket?.disconnect();
  }
}

const NODE_NAMES = ["A", "B", "N"]; // A and B are sio, N is Node

// One Redis Cluster for the three sharded suites (each has a channel prefix of its own).
const redisCluster = SHARDED ? new RedisCluster({ server: REDIS_SERVER, cli: REDIS_CLI }) : null;
if (SHARDED) {
  before(() => redisCluster.start());
  after(() => redisCluster.remove());
}
for (const mode of MODES) suite(mode);

function suite(mode) {
  const KEY = mode ? `sio-interop-${mode}` : "sio-interop";
  // The channel every node subscribes to once per namespace: what Redis counts as nodes.
  const REQUEST_CHANNEL = mode ? `${KEY}#/#` : `${KEY}-request#/#`;
  const onlyClassic = (why) => (mode ? { skip: `sharded mode: ${why}` } : {});
  const title = mode
    ? `a cluster of two sio nodes and one Node node on a 3-master Redis Cluster (sharded pub/sub, subscriptionMode ${mode})`
    : "a cluster of two sio nodes and one Node node on one redis-server (classic pub/sub)";

  describe(title, () => {
    const redis = mode ? redisCluster : new RedisProcess();
    const nodes = {}; // name → { name, kind, port, server, clients: [c1, c2] }
    let admin; // node-redis client of the test: PUBSUB NUMSUB and the emitter
    let clients = [];

    async function startNode(name) {
      const args = ["--port", "0", "--redis", redis.url, "--key", KEY, "--name", name, "--request-timeout", String(REQUEST_TIMEOUT_MS)];
      if (mode) args.push("--sharded", mode);
      const sio = name !== "N";
      const server = await spawnListening({
        label: `${sio ? "sio" : "Node"} node ${name}`,
        impl: sio ? "sio" : "ref",
        cmd: sio ? SIO_NODE : process.execPath,
        argv: sio ? args : [path.join(HERE, "node_node.mjs"), ...args],
        args,
        host: "127.0.0.1",
        path: "/socket.io/",
      });
      return { name, kind: sio ? "sio" : "Node", port: server.port, server, clients: [] };
    }

    /** Waits until Redis counts `n` subscribers of the request channel (one per node and namespace). */
    const serverCount = async () =>
      Number(
        (mode
          ? await admin.sendCommand(REQUEST_CHANNEL, true, ["PUBSUB", "SHARDNUMSUB", REQUEST_CHANNEL])
          : await admin.sendCommand(["PUBSUB", "NUMSUB", REQUEST_CHANNEL]))[1],
      );
    const waitServers = (n, ms = WAIT_MS) => poll(async () => (await serverCount()) === n, ms, `Redis counts ${n} nodes`);

    const others = (name) => NODE_NAMES.filter((n) => n !== name && nodes[n]?.server.alive);
    const pairs = () => NODE_NAMES.flatMap((from) => others(from).map((to) => [from, to]));
    const live = () => clients.filter((c) => c.socket.connected);
    const oddClients = () => live().filter((c) => c.n === 1);

    /** A broadcast from `from` that every live client receives: what `from` sent before has arrived. */
    async function marker(from) {
      const tag = `marker-${Math.random()}`;
      await nodes[from].clients[0].request("do-broadcast", { event: "marker", args: [tag] });
      await Promise.all(live().map((c) => c.next("marker", (a) => a[0] === tag)));
    }

    before(async () => {
      if (!mode) await redis.start();
      const adminOptions = { url: redis.url, socket: { reconnectStrategy: (retries) => Math.min(50 * (retries + 1), 500) } };
      admin = mode ? createCluster({ rootNodes: [adminOptions] }) : createClient(adminOptions);
      admin.on("error", () => {}); // lost while redis-server restarts; it reconnects
      await admin.connect();
      for (const name of NODE_NAMES) nodes[name] = await startNode(name);
      await waitServers(3);
      for (const name of NODE_NAMES) {
        for (const n of [1, 2]) {
          const c = await new Client(nodes[name], `${name.toLowerCase()}${n}`, n).connect();
          await c.request("set-data", { name: c.name, n });
          if (n === 1) await c.request("join", "odd");
          nodes[name].clients.push(c);
          clients.push(c);
        }
      }
    });

    after(async () => {
      for (const c of clients) c.close();
      const problems = [];
      for (const node of Object.values(nodes)) {
        if (!node.killed) await node.server.stop().catch((e) => problems.push(e.message));
      }
      await admin?.quit().catch(() => {});
      if (!mode) await redis.remove();
      assert.deepEqual(problems, [], "every node exits with status 0 and no sanitizer report after SIGTERM");
    });

    test("broadcasts from each node reach the clients of every node: to all, to a room, to two rooms, except a room, volatile, binary", async () => {
      for (const from of NODE_NAMES) {
        const s = nodes[from].clients[0];
        const bin = Buffer.from([1, 2, 3, from.charCodeAt(0)]);
        await s.request("do-broadcast", { event: "all", args: [from, { x: 1 }] });
        await s.request("do-broadcast", { event: "odd", to: ["odd"], args: [from] });
        await s.request("do-broadcast", { event: "two-rooms", to: ["odd", "nobody"], args: [from] });
        await s.request("do-broadcast", { event: "even", except: ["odd"], args: [from] });
        await s.request("do-broadcast", { event: "none", to: ["nobody"], args: [from] });
        await s.request("do-broadcast", { event: "not-me", except: [s.id], args: [from] }); // socket.broadcast
        await s.request("do-broadcast", { event: "bin", args: [from, bin] });
        for (const c of clients) {
          const expected = ["all", "bin", c.n === 1 ? "odd" : "even", ...(c.n === 1 ? ["two-rooms"] : []), ...(c === s ? [] : ["not-me"])];
          await Promise.all(expected.map((event) => c.next(event, (a) => a[0] === from)));
        }
        await marker(from);
        // Volatile crosses too: every client has read all of the above, so the sockets are idle and
        // take it (a volatile packet is dropped only for a client whose transport is busy writing).
        await s.request("do-broadcast", { event: "vol", volatile: true, args: [from] });
        await Promise.all(clients.map((c) => c.next("vol", (a) => a[0] === from)));
        for (const c of clients) {
          const what = `${from} → ${c.name} on ${c.node.name}`;
          const got = (event) => c.argsOf(event).filter((a) => a[0] === from);
          assert.deepEqual(got("all"), [[from, { x: 1 }]], `to all: ${what}`);
          assert.equal(got("odd").length, c.n === 1 ? 1 : 0, `to a room: ${what}`);
          assert.equal(got("two-rooms").length, c.n === 1 ? 1 : 0, `to two rooms: ${what}`);
          assert.equal(got("even").length, c.n === 1 ? 0 : 1, `except a room: ${what}`);
          assert.equal(got("vol").length, 1, `volatile: ${what}`);
          assert.equal(got("none").length, 0, `to a room without members: ${what}`);
          assert.equal(got("not-me").length, c === s ? 0 : 1, `except the sender's id: ${what}`);
          assert.equal(got("bin").length, 1, `binary: ${what}`);
          assert.ok(Buffer.from(got("bin")[0][1]).equals(bin), `binary payload intact: ${what}`);
        }
      }
    });

    test("fetchSockets from each node sees every socket of every node with its id, rooms, data and handshake", async () => {
      const views = {};
      for (const name of NODE_NAMES) {
        const found = await nodes[name].clients[0].request("do-fetch", {});
        assert.ok(Array.isArray(found), `${name}: fetchSockets answered ${JSON.stringify(found)}`);
        views[name] = Object.fromEntries(found.map((s) => [s.id, s]));
        assert.deepEqual(Object.keys(views[name]).sort(), clients.map((c) => c.id).sort(), `${name} sees all six sockets`);
      }
      for (const c of clients) {
        const own = views[c.node.name][c.id];
        assert.deepEqual(own.rooms, [c.id, ...(c.n === 1 ? ["odd"] : [])].sort(), `rooms of ${c.name}`);
        assert.deepEqual(own.data, { name: c.name, n: c.n }, `data of ${c.name}`);
        const h = own.handshake;
        assert.equal(h.query.q, c.name);
        assert.equal(h.query.EIO, "4");
        assert.deepEqual(h.auth, { token: c.name });
        assert.equal(h.headers["x-test"], c.name);
        assert.equal(h.address, "127.0.0.1");
        assert.equal(h.secure, false);
        assert.equal(h.xdomain, false);
        assert.match(h.url, /^\/socket\.io\/\?/);
        assert.equal(typeof h.issued, "number");
        // Every other node sees exactly what the socket's own node sees; handshake.time is `issued` as
        // JavaScript's Date#toString (Node takes the two from separate clocks reads, so they may be a
        // second apart, and sio derives time from issued).
        const timeFits = (view) => [0, 1000].some((ms) => view.handshake.time === new Date(view.handshake.issued - ms).toString());
        const withoutTime = (view) => ({ ...view, handshake: { ...view.handshake, time: null } });
        assert.ok(timeFits(own), `handshake.time ${h.time} of ${c.name} is issued ${h.issued}`);
        for (const from of others(c.node.name)) {
          const view = views[from][c.id];
          assert.deepEqual(withoutTime(view), withoutTime(own), `${from} asking about ${c.name} on ${c.node.name}`);
          assert.ok(timeFits(view), `${from} asking about ${c.name}: handshake.time ${view.handshake.time}, issued ${view.handshake.issued}`);
        }
      }
      for (const name of NODE_NAMES) {
        const s = nodes[name].clients[0];
        const inOdd = await s.request("do-fetch", { to: ["odd"] });
        assert.deepEqual(inOdd.map((x) => x.id).sort(), oddClients().map((c) => c.id).sort(), `${name}: fetchSockets in a room`);
        const exceptOdd = await s.request("do-fetch", { except: ["odd"] });
        assert.deepEqual(
          exceptOdd.map((x) => x.id).sort(),
          clients.filter((c) => c.n === 2).map((c) => c.id).sort(),
          `${name}: fetchSockets except a room`,
        );
      }
    });

    test("a socket of another node, fetched, receives what its RemoteSocket emits, and binary data crosses as Node's adapter sends it", async () => {
      for (const [from, to] of pairs()) {
        const [target, other] = [nodes[to].clients[1], nodes[to].clients[0]];
        const count = await nodes[from].clients[0].request("do-remoteEmit", { to: [target.id], event: "direct", args: [from] });
        assert.equal(count, 1, `${from} → ${to}: fetched one socket`);
        await target.next("direct", (a) => a[0] === from);
        await marker(from);
        assert.equal(other.argsOf("direct").filter((a) => a[0] === from).length, 0, `${from} → ${to}: only the fetched socket`);
      }
      // Requests and replies are JSON in the classic mode: a Buffer in socket.data becomes
      // {type: "Buffer", data: [...]} for every other node, sio or Node. The sharded mode sends a
      // message with binary data as MessagePack: the Buffer stays binary.
      for (const c of clients.filter((x) => x.n === 2)) await c.request("set-data", { name: c.name, n: c.n, bin: Buffer.from([7, 8]) });
      for (const from of NODE_NAMES) {
        const found = await nodes[from].clients[0].request("do-fetch", { except: ["odd"] });
        for (const view of found) {
          const c = clients.find((x) => x.id === view.id);
          if (c.node.name === from) continue;
          const bin = mode ? Buffer.from([7, 8]) : { type: "Buffer", data: [7, 8] };
          assert.deepEqual(view.data, { name: c.name, n: c.n, bin }, `${from} asking about ${c.name}`);
        }
      }
      for (const c of clients.filter((x) => x.n === 2)) await c.request("set-data", { name: c.name, n: c.n });
    });

    test("the rooms of the whole cluster (allRooms), asked from each node", onlyClassic("Node's sharded adapter has no allRooms"), async () => {
      const expected = ["odd", ...clients.map((c) => c.id)].sort();
      for (const name of NODE_NAMES) {
        const rooms = await nodes[name].clients[0].request("do-allRooms");
        assert.deepEqual(rooms, expected, `${name}: allRooms`);
      }
    });

    test("socketsJoin and socketsLeave from each node reach the sockets of every other node", async () => {
      const roomsOf = (c) => c.request("rooms");
      for (const [from, to] of pairs()) {
        const s = nodes[from].clients[0];
        const t = nodes[to].clients[1];
        const room = `joined-${from}-${to}`;
        await s.request("do-join", { to: [t.id], rooms: [room] });
        await poll(async () => (await roomsOf(t)).includes(room), WAIT_MS, `${from} → ${to}: ${t.name} joins ${room}`);
        await s.request("do-leave", { to: [t.id], rooms: [room] });
        await poll(async () => !(await roomsOf(t)).includes(room), WAIT_MS, `${from} → ${to}: ${t.name} leaves ${room}`);
      }
      // Selected by a room (and an exception) rather than by id.
      for (const from of NODE_NAMES) {
        const s = nodes[from].clients[0];
        const room = `odd-of-${from}`;
        await s.request("do-join", { to: ["odd"], except: [nodes[from].clients[0].id], rooms: [room] });
        for (const c of clients) {
          if (c.n === 1 && c.node.name !== from) await poll(async () => (await roomsOf(c)).includes(room), WAIT_MS, `${from}: ${c.name} joins ${room}`);
        }
        for (const c of clients) {
          const expected = c.n === 1 && c.node.name !== from;
          assert.equal((await roomsOf(c)).includes(room), expected, `${from}: ${c.name} in ${room}`);
        }
        await s.request("do-leave", { to: ["odd"], rooms: [room] });
        for (const c of clients) await poll(async () => !(await roomsOf(c)).includes(room), WAIT_MS, `${from}: ${c.name} leaves ${room}`);
      }
    });

    test("disconnectSockets from each node disconnects the chosen socket of every other node, and only it", async () => {
      for (const [from, to] of pairs()) {
        for (const close of [false, true]) {
          const d = await new Client(nodes[to], `d-${from}-${to}`, 0).connect();
          await nodes[from].clients[0].request("do-disconnect", { to: [d.id], close });
          const [reason] = await d.next("disconnect");
          if (close) assert.ok(["io server disconnect", "transport close"].includes(reason), `${from} → ${to} close: ${reason}`);
          else assert.equal(reason, "io server disconnect", `${from} → ${to}`);
        }
      }
      await marker("A");
      for (const c of clients) assert.ok(c.socket.connected, `${c.name} is still connected`);
    });

    test("serverSideEmit from each node reaches every other node, without and with an ack", async () => {
      for (const from of NODE_NAMES) {
        const s = nodes[from].clients[0];
        const tag = `sse-${from}-${Math.random()}`;
        // A Buffer argument crosses as Node's JSON.stringify writes it (classic), or binary (sharded).
        await s.request("do-serverSideEmit", { event: "sse", args: [tag, { from }, Buffer.from([1, 2])] });
        for (const to of others(from)) {
          for (const c of nodes[to].clients) {
            const [got] = await c.next("sse", (a) => a[0].args[0] === tag);
            const args = [tag, { from }, mode ? Buffer.from([1, 2]) : { type: "Buffer", data: [1, 2] }];
            assert.deepEqual(got, { node: to, event: "sse", args }, `${from} → ${to}`);
          }
        }
        const acked = `sse-ack-${from}-${Math.random()}`;
        const started = Date.now();
        const res = await s.request("do-serverSideEmit", { event: "sse", ack: true, args: [acked] });
        assert.equal(res.error, undefined, `${from}: ${res.error}`);
        assert.deepEqual(
          res.replies.sort((x, y) => x.node.localeCompare(y.node)),
          others(from).map((to) => ({ node: to, args: [acked] })),
          `${from}: one reply from each other node`,
        );
        assert.ok(Date.now() - started < REQUEST_TIMEOUT_MS, `${from}: the replies came before the request timeout`);
        // A node does not hear its own server-side events.
        for (const c of nodes[from].clients) assert.ok(!c.argsOf("sse").some((a) => [tag, acked].includes(a[0].args[0])), `${from} ↛ ${from}`);
      }
    });

    test("serverCount from each node counts the three nodes", async () => {
      for (const name of NODE_NAMES) assert.equal(await nodes[name].clients[0].request("do-serverCount"), 3, `${name}: serverCount`);
    });

    test("broadcasts with an ack from each node collect the acks of the clients of every node", async () => {
      for (const from of NODE_NAMES) {
        const s = nodes[from].clients[0];
        const all = await s.request("do-broadcastWithAck", { event: "ask", args: [from], timeout: WAIT_MS });
        assert.equal(all.error, undefined, `${from}: ${all.error}`);
        assert.deepEqual(all.responses.sort(), clients.map((c) => c.name).sort(), `${from}: every client acked`);
        const odd = await s.request("do-broadcastWithAck", { event: "ask", to: ["odd"], args: [from], timeout: WAIT_MS });
        assert.equal(odd.error, undefined, `${from}: ${odd.error}`);
        assert.deepEqual(odd.responses.sort(), oddClients().map((c) => c.name).sort(), `${from}: the room's clients acked`);
      }
    });

    test(
      "@socket.io/redis-emitter reaches the clients of every node: to all, to a room, except a room; socketsJoin; serverSideEmit",
      onlyClassic("@socket.io/redis-emitter publishes on classic pub/sub channels only"),
      async () => {
      const emitter = new Emitter(admin, { key: KEY });
      const tag = `em-${Math.random()}`;
      emitter.emit("em-all", tag, 1);
      emitter.to("odd").emit("em-odd", tag);
      emitter.except("odd").emit("em-even", tag);
      emitter.to("nobody").emit("em-none", tag);
      emitter.emit("em-marker", tag);
      await Promise.all(clients.map((c) => c.next("em-marker", (a) => a[0] === tag)));
      for (const c of clients) {
        const got = (event) => c.argsOf(event).filter((a) => a[0] === tag);
        assert.deepEqual(got("em-all"), [[tag, 1]], `emitter → ${c.name} on ${c.node.name}`);
        assert.equal(got("em-odd").length, c.n === 1 ? 1 : 0, `emitter to a room → ${c.name} on ${c.node.name}`);
        assert.equal(got("em-even").length, c.n === 1 ? 0 : 1, `emitter except a room → ${c.name} on ${c.node.name}`);
        assert.equal(got("em-none").length, 0, `emitter to an empty room → ${c.name}`);
      }
      for (const c of clients.filter((x) => x.n === 2)) {
        emitter.in(c.id).socketsJoin("em-room");
        await poll(async () => (await c.request("rooms")).includes("em-room"), WAIT_MS, `emitter: ${c.name} joins em-room`);
      }
      emitter.serverSideEmit("sse", tag);
      for (const c of clients) {
        const [got] = await c.next("sse", (a) => a[0].args[0] === tag);
        assert.deepEqual(got, { node: c.node.name, event: "sse", args: [tag] }, `emitter serverSideEmit → ${c.node.name}`);
      }
    });

    test(
      "sio::redis_emitter (sio_redis_emit_cli) reaches the clients of every node: to all, to a room, except a room; socketsJoin; serverSideEmit",
      onlyClassic("sio::redis_emitter publishes on classic pub/sub channels only"),
      async () => {
        const tag = `cli-${Math.random()}`;
        const even = clients.filter((x) => x.n === 2);
        // One process, one connection: the steps arrive in order, so the marker (last) bounds the absences.
        const steps = [
          ...["emit", "cli-all", tag],
          ...["to", "odd", "emit", "cli-odd", tag],
          ...["except", "odd", "emit", "cli-even", tag],
          ...["to", "nobody", "emit", "cli-none", tag],
          ...even.flatMap((c) => ["to", c.id, "sockets-join", "cli-room"]),
          ...["server-side-emit", "sse", tag],
          ...["emit", "cli-marker", tag],
        ];
        await promisify(execFile)(SIO_EMIT_CLI, ["--redis", redis.url, "--key", KEY, ...steps], { timeout: WAIT_MS });
        await Promise.all(clients.map((c) => c.next("cli-marker", (a) => a[0] === tag)));
        for (const c of clients) {
          const got = (event) => c.argsOf(event).filter((a) => a[0] === tag);
          assert.deepEqual(got("cli-all"), [[tag]], `emit_cli → ${c.name} on ${c.node.name}`);
          assert.equal(got("cli-odd").length, c.n === 1 ? 1 : 0, `emit_cli to a room → ${c.name} on ${c.node.name}`);
          assert.equal(got("cli-even").length, c.n === 1 ? 0 : 1, `emit_cli except a room → ${c.name} on ${c.node.name}`);
          assert.equal(got("cli-none").length, 0, `emit_cli to an empty room → ${c.name}`);
          const [sse] = await c.next("sse", (a) => a[0].args[0] === tag);
          assert.deepEqual(sse, { node: c.node.name, event: "sse", args: [tag] }, `emit_cli serverSideEmit → ${c.node.name}`);
          const rooms = await c.request("rooms");
          assert.equal(rooms.includes("cli-room"), c.n === 2, `emit_cli socketsJoin → ${c.name} on ${c.node.name}`);
        }
      },
    );

    test(
      "a frozen sio node (SIGSTOP, still counted by Redis): requests from sio and Node end at their timeout with what came",
      onlyClassic("Node's sharded adapter has no requestsTimeout option (fixed 5000 ms), so the nodes' timeouts differ"),
      async () => {
      process.kill(nodes.B.server.proc.pid, "SIGSTOP");
      nodes.B.frozen = true;
      const answering = ["a1", "a2", "n1", "n2"];
      await Promise.all(
        ["A", "N"].map(async (name) => {
          const s = nodes[name].clients[0];
          const timed = async (what, request) => {
            const started = Date.now();
            const result = await request();
            const ms = Date.now() - started;
            assert.ok(ms >= REQUEST_TIMEOUT_MS - 50 && ms < REQUEST_TIMEOUT_MS + SLACK_MS, `${name}: ${what} ended after ${ms} ms`);
            return result;
          };
          const [fetched, sse, acks] = await Promise.all([
            timed("fetchSockets", () => s.request("do-fetch", {})),
            timed("serverSideEmit with ack", () => s.request("do-serverSideEmit", { event: "sse", ack: true, args: ["frozen"] })),
            timed("broadcast with ack", () => s.request("do-broadcastWithAck", { event: "ask", args: [name], timeout: REQUEST_TIMEOUT_MS })),
          ]);
          assert.equal(typeof fetched.error, "string", `${name}: fetchSockets fails: ${JSON.stringify(fetched).slice(0, 200)}`);
          assert.equal(typeof sse.error, "string", `${name}: serverSideEmit with ack times out`);
          assert.deepEqual(sse.replies.map((r) => r.node), ["A", "N"].filter((n) => n !== name), `${name}: the other live node replied`);
          assert.equal(typeof acks.error, "string", `${name}: broadcast with ack times out`);
          assert.deepEqual(acks.responses.sort(), answering, `${name}: the acks of the live nodes' clients`);
        }),
      );
    });

    test(
      "a sio node killed with SIGKILL: the others go on, its sockets leave fetchSockets, no request outlives its timeout",
      async () => {
      const dead = nodes.B;
      dead.killed = true;
      process.kill(dead.server.proc.pid, "SIGKILL");
      await dead.server.exited;
      await Promise.all(dead.clients.map((c) => c.next("disconnect")));
      // At once (Redis may not have noticed yet): answered or failed, never later than the timeout.
      await Promise.all(
        ["A", "N"].map(async (name) => {
          const started = Date.now();
          await nodes[name].clients[0].request("do-fetch", {});
          assert.ok(Date.now() - started < REQUEST_TIMEOUT_MS + SLACK_MS, `${name}: fetchSockets ended in ${Date.now() - started} ms`);
        }),
      );
      await waitServers(2);
      const alive = clients.filter((c) => c.node !== dead).map((c) => c.id).sort();
      for (const name of ["A", "N"]) {
        const s = nodes[name].clients[0];
        let started = Date.now();
        const found = await s.request("do-fetch", {});
        assert.ok(Array.isArray(found), `${name}: ${JSON.stringify(found)}`);
        assert.deepEqual(found.map((x) => x.id).sort(), alive, `${name}: fetchSockets without the dead node's sockets`);
        assert.ok(Date.now() - started < REQUEST_TIMEOUT_MS, `${name}: fetchSockets did not wait for the dead node`);
        started = Date.now();
        const sse = await s.request("do-serverSideEmit", { event: "sse", ack: true, args: ["after-kill"] });
        assert.equal(sse.error, undefined, `${name}: ${sse.error}`);
        assert.equal(sse.replies.length, 1, `${name}: one other node answers`);
        const acks = await s.request("do-broadcastWithAck", { event: "ask", args: [name], timeout: WAIT_MS });
        assert.equal(acks.error, undefined, `${name}: ${acks.error}`);
        assert.deepEqual(acks.responses.sort(), ["a1", "a2", "n1", "n2"], `${name}: broadcast acks`);
        assert.ok(Date.now() - started < REQUEST_TIMEOUT_MS, `${name}: requests did not wait for the dead node`);
        const tag = `after-kill-${name}`;
        await s.request("do-broadcast", { event: "alive", args: [tag] });
        await Promise.all(live().map((c) => c.next("alive", (a) => a[0] === tag)));
      }
    });

    test(
      "redis-server restarted under connected clients: local delivery throughout, cross-node delivery resumes",
      onlyClassic("restarting a Redis Cluster is not this suite's subject"),
      async () => {
      const [a, n] = [nodes.A.clients[0], nodes.N.clients[0]];
      await redis.kill();
      for (const [from, own] of [["A", nodes.A.clients], ["N", nodes.N.clients]]) {
        const tag = `during-${from}`;
        await own[0].request("do-broadcast", { event: "during", args: [tag] });
        await Promise.all(own.map((c) => c.next("during", (x) => x[0] === tag)));
      }
      const restarted = Date.now();
      await redis.start();
      // Each node reconnects and subscribes again on its own schedule: resend until one arrives.
      for (const [from, sender, receiver] of [["A", a, nodes.N.clients[1]], ["N", n, nodes.A.clients[1]]]) {
        for (let i = 0; ; i++) {
          const tag = `resumed-${from}-${i}`;
          await sender.request("do-broadcast", { event: "resumed", args: [tag] });
          try {
            await receiver.next("resumed", (x) => x[0] === tag, 250);
            break;
          } catch (e) {
            if (Date.now() - restarted > 15_000) throw new Error(`${from} → ${receiver.node.name}: no cross-node delivery 15 s after the restart`);
          }
        }
      }
      const resumedMs = Date.now() - restarted;
      await waitServers(2);
      for (const name of ["A", "N"]) {
        const found = await nodes[name].clients[0].request("do-fetch", {});
        assert.equal(found.length, 4, `${name}: fetchSockets after the restart: ${JSON.stringify(found).slice(0, 200)}`);
      }
      console.log(`# cross-node delivery resumed ${resumedMs} ms after redis-server restarted`);
    });
  });
}
