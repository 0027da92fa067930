// Socket.IO test helpers: the "sio fixture server" process (see tests/README.md, "Socket.IO
// fixture contract"), a harness (one server per describe block, cleanup after each test,
// reference deviations as `todo`), socket.io-client wrappers and a raw Socket.IO-over-WebSocket
// client. Every wait is event-driven and bounded.
//
// SIO_IMPL=sio (default): ${SIO_BUILD_DIR:-../build}/examples/sio_fixture/sio_fixture
// SIO_IMPL=ref          : node fixtures/sio_fixture_ref.mjs (npm socket.io 4.8)
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { io as ioClient, Manager } from "socket.io-client";
import { IMPL, spawnListening, threadArgs } from "./server.mjs";
import { ruleDeclarer, useFixture } from "./harness.mjs";
import { track } from "./track.mjs";
import { engineWs, withTimeout } from "./ws.mjs";

export { IMPL, withTimeout };

const TESTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CLIENT_DIST = path.join(TESTS_DIR, "node_modules", "socket.io-client", "dist");
export const DEFAULT_WAIT_MS = 5000;

// ---------------------------------------------------------------------------------------------
// Server process

export function sioFixtureBinary() {
  const buildDir = path.resolve(TESTS_DIR, process.env.SIO_BUILD_DIR || "../build");
  return path.join(buildDir, "examples", "sio_fixture", "sio_fixture");
}

function commandFor(impl, args) {
  if (impl === "ref") {
    return [process.execPath, [path.join(TESTS_DIR, "fixtures", "sio_fixture_ref.mjs"), ...args]];
  }
  const bin = sioFixtureBinary();
  if (!existsSync(bin)) {
    throw new Error(`sio fixture binary not found at ${bin} (build it, set SIO_BUILD_DIR, or run with SIO_IMPL=ref)`);
  }
  return [bin, args];
}

/**
 * Spawn the fixture chosen by SIO_IMPL with the command line `args` (`--port 0 --host 127.0.0.1`
 * added unless given) and wait for `listening <port>` (lib/server.mjs spawnListening), with
 * path "/socket.io/" so that the raw helpers of lib/http.mjs, lib/engine.mjs and lib/ws.mjs work on
 * it unchanged.
 */
export async function startSioServer(args = [], { impl = IMPL } = {}) {
  args = [...args];
  if (!args.includes("--port")) args.unshift("--port", "0");
  if (!args.includes("--host")) args.push("--host", "127.0.0.1");
  args.push(...threadArgs(impl, args));
  const [cmd, argv] = commandFor(impl, args);
  return spawnListening({
    label: `${impl} sio fixture`,
    impl,
    cmd,
    argv,
    args,
    host: args[args.indexOf("--host") + 1],
    path: "/socket.io/",
  });
}

// ---------------------------------------------------------------------------------------------
// Harness

/**
 * Test name → why the reference server (npm socket.io 4.8) fails it. With SIO_IMPL=ref those
 * tests run as `todo` (expected failures); against sio they are plain tests.
 * Keep in sync with tests/README.md.
 */
export const sioRefDeviations = {
  "9.4 JSON keeps the key order of objects, integer-like keys included":
    "V8 objects list integer-like keys first in ascending order, so JSON.parse + JSON.stringify reorders {\"b\":1,\"10\":2,\"2\":3}",
  "9.8 EVENT with no payload at all closes (42, 421)":
    "socket.io-parser validates a payload only when there is one: `42` is accepted and dispatched as an event with no name, `421` is never acked",
};

const liveServers = new Set();

/** Declares a Socket.IO test named after the rule it checks (harness.mjs ruleDeclarer), with sioRefDeviations. */
export const sioRule = ruleDeclarer(sioRefDeviations, liveServers, "sio fixture");

/** Start a sio fixture for the enclosing describe() block (harness.mjs useFixture). */
export function useSioServer(args = []) {
  return useFixture(() => startSioServer(args), liveServers, "sio fixture");
}

let uniqueCounter = 0;
/** A name no other test of this process uses (rooms, markers). */
export function unique(prefix = "u") {
  return `${prefix}-${process.pid}-${++uniqueCounter}`;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// socket.io-client

/** The three transport modes of the client. */
export const MODES = {
  websocket: { transports: ["websocket"] },
  polling: { transports: ["polling"] },
  upgrade: { transports: ["polling", "websocket"], upgrade: true },
};

function trackClient(socket) {
  track({
    destroy: () => {
      socket.io.reconnection(false);
      socket.disconnect();
      socket.io.engine?.close();
    },
  });
  return socket;
}

/** Options for io()/Manager: no reconnection, no multiplexing cache, the mode's transports. */
export function clientOptions(mode, opts = {}) {
  return { forceNew: true, reconnection: false, timeout: DEFAULT_WAIT_MS, ...MODES[mode], ...opts };
}

/** A Manager (one Engine.IO connection for several namespaces) in the given mode. */
export function manager(server, mode, opts = {}) {
  const m = new Manager(server.url, clientOptions(mode, opts));
  track({
    destroy: () => {
      m.reconnection(false);
      for (const s of Object.values(m.nsps)) s.disconnect();
      m.engine?.close();
    },
  });
  return m;
}

/**
 * Create a socket (not connected yet: it connects on its own) with an EventLog attached as
 * `socket.log`. `nsp` defaults to "/"; pass `manager` to multiplex.
 */
export function createSocket(server, { mode = "websocket", nsp = "/", manager: mgr, ...opts } = {}) {
  const socket = mgr ? mgr.socket(nsp, opts) : ioClient(server.url + (nsp === "/" ? "" : nsp), clientOptions(mode, opts));
  trackClient(socket);
  socket.log = new EventLog(socket);
  return socket;
}

/**
 * Wait for the outcome of the socket's current connection attempt: resolves on `connect` (and, in
 * "upgrade" mode, once upgraded to WebSocket), rejects with the `connect_error`. Outcomes are read
 * from the socket's EventLog, so one that happened before the call is not missed; each call
 * consumes one outcome (call connect() again, then awaitConnect, to retry).
 */
export async function awaitConnect(socket, { mode, timeout = DEFAULT_WAIT_MS } = {}) {
  const log = socket.log;
  const from = log.outcomesSeen ?? 0;
  const outcome = await log.until(
    () => {
      for (let i = from; i < log.all.length; i++) {
        const e = log.all[i];
        if (e.event === "connect" || e.event === "connect_error") return { e, i };
      }
      return null;
    },
    timeout,
    `socket ${socket.nsp} did not connect`,
  );
  log.outcomesSeen = outcome.i + 1;
  if (outcome.e.event === "connect_error") throw outcome.e.args[0];
  if (mode) await assertTransport(socket, mode, timeout);
  return socket;
}

/** Asserts the transport that `mode` implies; in "upgrade" mode waits for the upgrade first. */
export async function assertTransport(socket, mode, timeout = DEFAULT_WAIT_MS) {
  const engine = socket.io.engine;
  if (mode === "upgrade") {
    if (engine.transport.name !== "websocket") {
      await withTimeout(new Promise((resolve) => engine.once("upgrade", resolve)), timeout, "the client did not upgrade to WebSocket");
    }
    assert.equal(engine.transport.name, "websocket", "upgraded to WebSocket");
    assert.equal(socket.log.firstTransport, "polling", "the session started on polling");
  } else {
    assert.equal(engine.transport.name, MODES[mode].transports[0]);
  }
}

/** createSocket + awaitConnect. */
export async function connect(server, { connectWait, ...opts } = {}) {
  const socket = createSocket(server, opts);
  return awaitConnect(socket, { mode: opts.manager ? undefined : opts.mode ?? "websocket", timeout: connectWait });
}

/** Connect that must fail: resolves with the connect_error Error (message, data). */
export async function connectError(server, opts = {}) {
  const socket = createSocket(server, opts);
  try {
    await awaitConnect(socket);
  } catch (err) {
    return err;
  }
  throw new Error(`socket ${opts.nsp ?? "/"} connected but should have been refused`);
}

/**
 * Emit with an ack and resolve with ALL the ack arguments (emitWithAck keeps only the first).
 * Rejects when no ack comes within `timeout`.
 */
export function ack(socket, event, ...args) {
  return ackWithin(DEFAULT_WAIT_MS, socket, event, ...args);
}

export function ackWithin(timeout, socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(timeout).emit(event, ...args, (err, ...res) => {
      if (err) reject(new Error(`no ack for ${JSON.stringify(event)} within ${timeout} ms (${err.message})`));
      else resolve(res);
    });
  });
}

/** The first ack argument. */
export async function ack1(socket, event, ...args) {
  return (await ack(socket, event, ...args))[0];
}

/**
 * Records every event a client socket receives (onAny), plus connect/disconnect, and lets a test
 * wait for the next occurrence of one event. Binary arguments are left as received.
 */
export class EventLog {
  constructor(socket) {
    this.socket = socket;
    this.all = []; // { event, args, at }
    this.waiters = [];
    this.firstTransport = null;
    const record = (event, args) => {
      this.all.push({ event, args, at: Date.now() });
      for (const w of [...this.waiters]) {
        const hit = w.test();
        if (hit) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(hit);
        }
      }
    };
    socket.onAny((event, ...args) => record(event, args));
    socket.on("connect", () => record("connect", []));
    socket.on("disconnect", (reason, details) => record("disconnect", [reason, details]));
    socket.on("connect_error", (err) => record("connect_error", [err]));
    const manager = socket.io;
    const noteTransport = () => {
      if (!this.firstTransport && manager.engine) this.firstTransport = manager.engine.transport?.name ?? null;
    };
    manager.on("open", noteTransport);
    noteTransport();
  }

  /** Entries of one event received so far. */
  of(event) {
    return this.all.filter((e) => e.event === event);
  }

  /** Argument lists of one event received so far. */
  argsOf(event) {
    return this.of(event).map((e) => e.args);
  }

  /** Resolve with the first truthy value of test(), re-evaluated on every event; bounded. */
  until(test, timeout = DEFAULT_WAIT_MS, what = "condition not met") {
    const now = test();
    if (now) return Promise.resolve(now);
    const w = { test, resolve: null };
    const p = new Promise((resolve) => {
      w.resolve = resolve;
      this.waiters.push(w);
    });
    return withTimeout(p, timeout, `${this.socket.nsp}: ${what}`).finally(() => {
      const i = this.waiters.indexOf(w);
      if (i >= 0) this.waiters.splice(i, 1);
    });
  }

  /** The n-th (1-based, from the start of the log) occurrence of `event`: { event, args, at }. */
  nth(event, n, timeout = DEFAULT_WAIT_MS) {
    return this.until(() => this.of(event)[n - 1], timeout, `no ${n}th ${JSON.stringify(event)} event`);
  }

  /** The first occurrence of `event` (past or future). */
  first(event, timeout) {
    return this.nth(event, 1, timeout);
  }

  /** The next occurrence of `event` after the current end of the log. */
  next(event, timeout = DEFAULT_WAIT_MS) {
    const from = this.all.length;
    return this.until(() => this.all.slice(from).find((e) => e.event === event), timeout, `no new ${JSON.stringify(event)} event`);
  }
}

/** Normalise a received binary value (Buffer, ArrayBuffer, typed array) to a Buffer. */
export function asBuffer(data) {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(new Uint8Array(data));
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new Error(`not binary: ${Object.prototype.toString.call(data)}`);
}

/** Deep-convert every binary value to a Buffer, for comparisons with assert.deepEqual. */
export function normaliseBinary(value) {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return asBuffer(value);
  if (Array.isArray(value)) return value.map(normaliseBinary);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = normaliseBinary(v);
    return out;
  }
  return value;
}

/** n bytes of a recognisable pattern. */
export function bytes(n, seed = 1) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

// ---------------------------------------------------------------------------------------------
// Raw Socket.IO over a raw Engine.IO WebSocket

/**
 * Raw Socket.IO client on one Engine.IO WebSocket session (`ws` package, no socket.io-client).
 * Pings are answered at once (unless `autoPong: false`) and skipped by next().
 */
export class RawSio {
  constructor(ws, open, { autoPong = true } = {}) {
    this.ws = ws; // lib/ws.mjs RawWs
    this.open = open; // the Engine.IO open packet
    this.sid = open.sid;
    this.pings = 0;
    ws.ws.on("message", (data, isBinary) => {
      if (!isBinary && data.length === 1 && data[0] === 0x32 /* "2" */) {
        this.pings++;
        if (autoPong && ws.isOpen) ws.ws.send("3");
      }
    });
  }

  /** Send one Socket.IO packet (text) in an Engine.IO message. */
  send(packet) {
    return this.ws.send("4" + packet);
  }

  /** Send a binary attachment (a binary Engine.IO message). */
  sendBinary(buf) {
    return this.ws.send(Buffer.from(buf));
  }

  /**
   * Next Socket.IO packet: a string (the Engine.IO `4` stripped) or a Buffer for an attachment.
   * Pings are skipped; any other Engine.IO packet fails the test.
   */
  async next(timeout = DEFAULT_WAIT_MS) {
    for (;;) {
      const f = await this.ws.next(timeout);
      if (f.binary) return f.data;
      if (f.data === "2") continue;
      assert.ok(f.data.startsWith("4"), `expected an Engine.IO message, got ${JSON.stringify(f.data.slice(0, 200))}`);
      return f.data.slice(1);
    }
  }

  /** Next Socket.IO text packet, asserted to be text. */
  async nextText(timeout) {
    const p = await this.next(timeout);
    assert.equal(typeof p, "string", `expected a text packet, got ${p.length} binary bytes`);
    return p;
  }

  /** Connect to `nsp` with optional auth; asserts the CONNECT reply and returns the socket id. */
  async connect(nsp = "/", auth) {
    const prefix = nsp === "/" ? "" : `${nsp},`;
    await this.send(`0${prefix}${auth === undefined ? "" : JSON.stringify(auth)}`);
    const reply = await this.nextText();
    assert.ok(reply.startsWith(`0${prefix}{`), `CONNECT ${nsp}: unexpected reply ${JSON.stringify(reply)}`);
    const body = JSON.parse(reply.slice(1 + prefix.length));
    assert.deepEqual(Object.keys(body), ["sid"], `CONNECT reply holds only sid: ${reply}`);
    return body.sid;
  }

  /**
   * Wait until the connection is closed; returns { code, frames } where frames are the non-ping
   * frames received in the meantime (strings or Buffers). Fails if it stays open for `timeout`.
   */
  async expectClosed(timeout = 3000, what = "the server did not close the connection") {
    const frames = [];
    const deadline = Date.now() + timeout;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what} within ${timeout} ms (frames: ${JSON.stringify(frames).slice(0, 300)})`);
      let f;
      try {
        f = await this.ws.nextOrClose(left);
      } catch {
        throw new Error(`${what} within ${timeout} ms (frames: ${JSON.stringify(frames).slice(0, 300)})`);
      }
      if (f === null) return { ...this.ws.closeInfo, frames };
      if (!f.binary && f.data === "2") continue;
      frames.push(f.data);
    }
  }

  /** Prove the connection is alive and usable on `/`: ack round trip (connects `/` if asked). */
  async assertAlive({ nsp = "/", id = 999 } = {}) {
    const prefix = nsp === "/" ? "" : `${nsp},`;
    await this.send(`2${prefix}${id}["echo-ack","alive"]`);
    assert.equal(await this.nextText(), `3${prefix}${id}["alive"]`);
  }

  get isOpen() {
    return this.ws.isOpen;
  }

  close() {
    this.ws.terminate();
  }
}

/** Open a raw Engine.IO WebSocket on the server's Socket.IO path and read the open packet. */
export async function rawSio(server, { query = {}, headers = {}, autoPong = true } = {}) {
  const ws = engineWs(server, query, { headers });
  await ws.opened;
  const first = await ws.nextText();
  assert.ok(first.startsWith("0{"), `expected the Engine.IO open packet, got ${JSON.stringify(first)}`);
  return new RawSio(ws, JSON.parse(first.slice(1)), { autoPong });
}

/** rawSio + CONNECT to "/"; returns the RawSio with `.id` set. */
export async function rawConnected(server, nsp = "/", auth) {
  const s = await rawSio(server);
  s.id = await s.connect(nsp, auth);
  return s;
}
