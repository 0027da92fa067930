// Interop with the official engine.io-client 6.6 in its three modes: WebSocket only,
// polling only, and polling upgraded to WebSocket. Plain and TLS.
import assert from "node:assert/strict";
import { describe, before, after } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Socket } from "engine.io-client";
import { rule, useServer } from "../lib/harness.mjs";
import { track } from "../lib/track.mjs";
import { withTimeout } from "../lib/ws.mjs";
import { expectSidGone } from "../lib/engine.mjs";

const MODES = {
  websocket: { transports: ["websocket"] },
  polling: { transports: ["polling"] },
  upgrade: { transports: ["polling", "websocket"], upgrade: true },
};
const MAX_PAYLOAD = 1_000_000;

/** engine.io-client socket with a frame queue; resolves once open (and upgraded in "upgrade" mode). */
async function connect(server, mode, extra = {}) {
  const socket = new Socket(server.url, {
    path: server.path,
    ...MODES[mode],
    rejectUnauthorized: false,
    ...extra,
  });
  const c = { socket, queue: [], waiters: [], closeInfo: null, pings: 0 };
  track({ destroy: () => socket.close(), once: (ev, fn) => socket.once(ev === "close" ? "close" : ev, fn) });
  c.closed = new Promise((resolve) => {
    socket.on("close", (reason, description) => {
      c.closeInfo = { reason, description, at: Date.now() };
      for (const w of c.waiters.splice(0)) w.reject(new Error(`socket closed (${reason}) while waiting for a message`));
      resolve(c.closeInfo);
    });
  });
  socket.on("message", (data) => {
    const w = c.waiters.shift();
    if (w) w.resolve(data);
    else c.queue.push(data);
  });
  socket.on("ping", () => c.pings++);
  c.next = (timeout = 5000) => {
    if (c.queue.length) return Promise.resolve(c.queue.shift());
    if (c.closeInfo) return Promise.reject(new Error(`socket closed (${c.closeInfo.reason})`));
    return withTimeout(new Promise((resolve, reject) => c.waiters.push({ resolve, reject })), timeout, "no message");
  };
  await withTimeout(
    new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    }),
    5000,
    `${mode}: no open event`,
  );
  if (mode === "upgrade") {
    if (socket.transport.name !== "websocket") {
      await withTimeout(new Promise((resolve) => socket.once("upgrade", resolve)), 5000, "no upgrade");
    }
    assert.equal(socket.transport.name, "websocket", "the client upgraded to WebSocket");
  } else {
    assert.equal(socket.transport.name, MODES[mode].transports[0]);
  }
  return c;
}

function bytes(n, seed = 1) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

const asBuffer = (data) => (Buffer.isBuffer(data) ? data : Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data));

async function echoBasics(server, mode) {
  const c = await connect(server, mode);
  for (const text of ["hello", "héllo wörld 你好 😀", "4 not a packet type", "server-closed? no", "burst"]) {
    c.socket.send(text);
    assert.equal(await c.next(), text);
  }
  const buf = bytes(1024);
  c.socket.send(buf);
  const b1 = await c.next();
  assert.ok(typeof b1 !== "string", "binary comes back as binary");
  assert.ok(asBuffer(b1).equals(buf));
  const ab = new Uint8Array([0, 255, 1, 254]).buffer;
  c.socket.send(ab);
  assert.deepEqual([...asBuffer(await c.next())], [0, 255, 1, 254]);
  c.socket.send(new Uint8Array([7, 7, 7]));
  assert.deepEqual([...asBuffer(await c.next())], [7, 7, 7]);
  // order is kept across text and binary
  const sent = ["a", bytes(3, 9), "b", bytes(5, 3), "c"];
  for (const m of sent) c.socket.send(m);
  for (const m of sent) {
    const got = await c.next();
    if (typeof m === "string") assert.equal(got, m);
    else assert.ok(asBuffer(got).equals(m));
  }
  c.socket.close();
}

describe("engine.io-client interop", () => {
  const server = useServer(["--max-payload", String(MAX_PAYLOAD)]);

  for (const mode of Object.keys(MODES)) {
    rule(`[${mode}] text and binary echo (string, Buffer, ArrayBuffer, Uint8Array)`, () => echoBasics(server, mode));

    rule(`[${mode}] large text and binary messages near maxPayload`, { timeout: 30_000 }, async () => {
      const c = await connect(server, mode);
      const text = "x".repeat(900_000) + "é".repeat(20_000); // 940 000 bytes + type char
      c.socket.send(text);
      assert.equal(await c.next(10_000), text);
      // over polling a binary message travels as b + base64 (4/3 larger) inside the limit
      const bin = bytes(mode === "polling" ? 740_000 : 900_000, 5);
      c.socket.send(bin);
      assert.ok(asBuffer(await c.next(10_000)).equals(bin));
      c.socket.close();
    });

    rule(`[${mode}] a message over maxPayload closes the connection`, async () => {
      const c = await connect(server, mode);
      c.socket.send("y".repeat(MAX_PAYLOAD)); // + the type char: one byte over
      const info = await withTimeout(c.closed, 5000, "the connection was not closed");
      // a WebSocket is closed (1009), a polling POST gets 413
      assert.equal(info.reason, mode === "polling" ? "transport error" : "transport close");
    });

    rule(`[${mode}] clean close from the client`, async () => {
      const c = await connect(server, mode);
      const sid = c.socket.id;
      c.socket.send("before-close");
      assert.equal(await c.next(), "before-close");
      c.socket.close();
      const info = await withTimeout(c.closed, 2000, "no close event");
      assert.equal(info.reason, "forced close");
      await expectSidGone(server, sid);
    });

    rule(`[${mode}] close from the server (server-close) gives the client a close reason`, async () => {
      const c = await connect(server, mode);
      const sid = c.socket.id;
      c.socket.send("server-close");
      const info = await withTimeout(c.closed, 3000, "no close event after server-close");
      assert.equal(info.reason, "transport close");
      await expectSidGone(server, sid);
    });
  }
});

describe("engine.io-client interop: heartbeat (--ping-interval 200 --ping-timeout 300)", () => {
  const server = useServer(["--ping-interval", "200", "--ping-timeout", "300"]);

  for (const mode of Object.keys(MODES)) {
    rule(`[${mode}] heartbeat across several intervals keeps the socket open`, async () => {
      const c = await connect(server, mode);
      const t0 = Date.now();
      c.pings = 0;
      // 6 pings answered by the client: at least 5 intervals, i.e. 2 × (pingInterval + pingTimeout)
      await withTimeout(
        new Promise((resolve) => {
          const check = () => (c.pings >= 6 ? resolve() : c.socket.once("ping", () => setImmediate(check)));
          check();
        }),
        4000,
        `only ${c.pings} pings`,
      );
      assert.ok(Date.now() - t0 >= 5 * 200 - 100, `6 pings in ${Date.now() - t0} ms`);
      assert.equal(c.closeInfo, null, "the socket closed during the heartbeat");
      c.socket.send("after-heartbeats");
      assert.equal(await c.next(), "after-heartbeats");
      if (mode === "upgrade") assert.equal(c.socket.transport.name, "websocket");
      c.socket.close();
    });
  }
});

describe("engine.io-client interop over TLS", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "sio-tls-"));
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  before(() => {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
      { stdio: "ignore" },
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const server = useServer(["--tls-cert", cert, "--tls-key", key]);

  for (const mode of Object.keys(MODES)) {
    rule(`[${mode}] TLS: text and binary echo with a self-signed certificate`, async () => {
      assert.match(server.url, /^https:/);
      await echoBasics(server, mode);
    });
  }
});
