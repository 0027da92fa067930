// RFC 6455 at the frame level on the Engine.IO endpoint: the opening handshake, control frames,
// fragmentation, close codes of failed connections and refused handshakes. The `ws` client in
// lib/ws.mjs hides all of this (it masks, reassembles and answers by itself), so these tests
// speak raw frames over node:net. Expected values are those of npm engine.io 6.6 on `ws` 8.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import net from "node:net";
import { describe } from "node:test";
import { rule, useServer } from "../lib/harness.mjs";
import { track } from "../lib/track.mjs";
import { engineQuery } from "../lib/engine.mjs";

const TIMEOUT_MS = 5000;
const MAX_PAYLOAD = 1000;
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

const OP = { cont: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa };

const acceptFor = (key) => createHash("sha1").update(key + GUID).digest("base64");

/** One client frame; masked unless `mask: false` (a fixed mask keeps failures reproducible). */
function encodeFrame(opcode, payload = Buffer.alloc(0), { fin = true, mask = true } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, "utf8");
  const len = data.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | opcode;
  head[1] = (mask ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(len, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!mask) return Buffer.concat([head, data]);
  const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  key.copy(head, 2 + ext);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = data[i] ^ key[i & 3];
  return Buffer.concat([head, body]);
}

const closePayload = (code, reason = "") =>
  Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason, "utf8")]);

/** Parse one frame at the start of `buf`; null if incomplete. */
function decodeFrame(buf) {
  if (buf.length < 2) return null;
  const fin = (buf[0] & 0x80) !== 0;
  const rsv = (buf[0] >> 4) & 0x7;
  const opcode = buf[0] & 0x0f;
  const masked = (buf[1] & 0x80) !== 0;
  let len = buf[1] & 0x7f;
  let pos = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    pos = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    len = Number(buf.readBigUInt64BE(2));
    pos = 10;
  }
  let key = null;
  if (masked) {
    if (buf.length < pos + 4) return null;
    key = buf.subarray(pos, pos + 4);
    pos += 4;
  }
  if (buf.length < pos + len) return null;
  const payload = Buffer.from(buf.subarray(pos, pos + len));
  if (key) for (let i = 0; i < len; i++) payload[i] ^= key[i & 3];
  const frame = { fin, rsv, opcode, masked, payload, size: pos + len };
  if (opcode === OP.text) frame.text = payload.toString("utf8");
  if (opcode === OP.close) {
    frame.code = payload.length >= 2 ? payload.readUInt16BE(0) : null;
    frame.reason = payload.subarray(2).toString("utf8");
  }
  return frame;
}

/**
 * Raw WebSocket client: writes an upgrade request, then parses the HTTP head and the frames that
 * follow it. Every wait is bounded and event-driven (data / close).
 */
class RawConn {
  constructor(server, { key = SAMPLE_KEY, headers = {}, query = engineQuery({ transport: "websocket" }) } = {}) {
    this.key = key;
    this.buf = Buffer.alloc(0);
    this.head = null;
    this.frames = []; // every frame, in arrival order
    this.queue = []; // frames not taken by next() yet
    this.ended = false;
    this.error = null;
    this.wake = () => {};
    this.socket = track(net.connect({ host: server.host, port: server.port }));
    this.socket.on("data", (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.parse();
      this.wake();
    });
    this.socket.on("error", (err) => (this.error = err));
    this.closed = new Promise((resolve) =>
      this.socket.on("close", () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
    const list = {
      Host: `${server.host}:${server.port}`,
      Upgrade: "websocket",
      Connection: "Upgrade",
      "Sec-WebSocket-Key": key,
      "Sec-WebSocket-Version": "13",
      ...headers,
    };
    let req = `GET ${server.path}?${query} HTTP/1.1\r\n`;
    for (const [k, v] of Object.entries(list)) if (v !== undefined) req += `${k}: ${v}\r\n`;
    this.socket.write(req + "\r\n");
  }

  parse() {
    if (!this.head) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const lines = this.buf.subarray(0, end).toString("latin1").split("\r\n");
      const statusLine = lines.shift();
      const headers = {};
      for (const line of lines) {
        const i = line.indexOf(":");
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      this.head = { statusLine, status: Number(statusLine.split(" ")[1]), headers };
      this.buf = this.buf.subarray(end + 4);
      if (this.head.status !== 101) return; // the rest is an HTTP body, see body()
    }
    if (this.head.status !== 101) return;
    for (let f; (f = decodeFrame(this.buf)); ) {
      this.buf = this.buf.subarray(f.size);
      this.frames.push(f);
      this.queue.push(f);
    }
  }

  /** Wait until `cond()` holds; rejects after `timeout` with `what` and the state so far. */
  waitFor(cond, what, timeout = TIMEOUT_MS) {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = () => {};
        reject(new Error(`${what} within ${timeout} ms (${this.state()})`));
      }, timeout);
      this.wake = () => {
        if (!cond()) return;
        clearTimeout(timer);
        this.wake = () => {};
        resolve();
      };
    });
  }

  state() {
    const frames = this.frames.map((f) => `op=${f.opcode}${f.code ? ` code=${f.code}` : ""} ${JSON.stringify(f.payload.toString("latin1").slice(0, 60))}`);
    const head = this.head ? this.head.statusLine : "no HTTP head";
    return `${head}; frames: [${frames.join(", ")}]; ${this.ended ? "connection ended" : "connection open"}${this.error ? ` (${this.error.code})` : ""}`;
  }

  async response() {
    await this.waitFor(() => this.head || this.ended, "no HTTP response head");
    if (!this.head) throw new Error(`connection ended without an HTTP response (${this.state()})`);
    return this.head;
  }

  /** Body of a non-101 answer, read up to Content-Length. */
  async body() {
    const head = await this.response();
    const len = Number(head.headers["content-length"]);
    await this.waitFor(() => this.buf.length >= len || this.ended, "incomplete HTTP body");
    return this.buf.subarray(0, len).toString("utf8");
  }

  /** Next frame; rejects on timeout or if the connection ends first. */
  async next(timeout = TIMEOUT_MS) {
    await this.waitFor(() => this.queue.length || this.ended, "no frame", timeout);
    if (!this.queue.length) throw new Error(`connection ended while waiting for a frame (${this.state()})`);
    return this.queue.shift();
  }

  /** The connection must end (TCP close) within the timeout. */
  async ends(timeout = TIMEOUT_MS) {
    await this.waitFor(() => this.ended, "the server did not close the connection", timeout);
  }

  send(...frames) {
    return new Promise((resolve) => this.socket.write(Buffer.concat(frames), () => resolve()));
  }

  /** 101 + the open packet; returns the parsed open packet. */
  async open() {
    const head = await this.response();
    assert.equal(head.status, 101, this.state());
    const f = await this.next();
    assert.equal(f.opcode, OP.text, `first frame is not text (${this.state()})`);
    assert.ok(f.text.startsWith("0{"), `first frame is not an open packet: ${JSON.stringify(f.text)}`);
    return JSON.parse(f.text.slice(1));
  }
}

/** RFC 6455 §5.1: a server never masks; no extension was negotiated, so RSV bits stay clear. */
function assertServerFrame(f) {
  assert.equal(f.masked, false, "server frame is masked");
  assert.equal(f.rsv, 0, "server frame has RSV bits set");
}

/** The server fails the connection: a close frame with `code`, no reason, then TCP close. */
async function assertFailedWith(conn, code) {
  let f;
  do f = await conn.next();
  while (f.opcode === OP.text && f.text === "2"); // a heartbeat ping could come first
  assertServerFrame(f);
  assert.equal(f.opcode, OP.close, `expected a close frame, got ${conn.state()}`);
  assert.ok(f.fin);
  assert.equal(f.code, code, `close code (${conn.state()})`);
  assert.equal(f.reason, "", "close reason: ws sends the status code alone when it fails a connection");
  await conn.ends();
  assert.equal(conn.queue.length, 0, `frames after the close frame: ${conn.state()}`);
}

/** A fresh WebSocket session still echoes and closes cleanly (the server is alive and serving). */
async function assertServing(server) {
  assert.ok(server.alive, "the server process died");
  const c = new RawConn(server);
  await c.open();
  await c.send(encodeFrame(OP.text, "4still-serving"));
  const f = await c.next();
  assert.equal(f.text, "4still-serving");
  await c.send(encodeFrame(OP.close, closePayload(1000)));
  assert.equal((await c.next()).opcode, OP.close);
  await c.ends();
}

describe("RFC 6455 on the Engine.IO WebSocket endpoint", () => {
  const server = useServer(["--max-payload", String(MAX_PAYLOAD)]);

  rule("W.1 the 101 answer carries the RFC headers, then the open packet is the first text frame", async () => {
    const key = "x3JJHMbDL1EzLkh9GBhXDw==";
    const c = new RawConn(server, { key });
    const head = await c.response();
    assert.equal(head.statusLine, "HTTP/1.1 101 Switching Protocols");
    assert.equal(head.headers.upgrade?.toLowerCase(), "websocket");
    assert.equal(head.headers.connection?.toLowerCase(), "upgrade");
    assert.equal(head.headers["sec-websocket-accept"], acceptFor(key));
    // nothing was offered, so nothing is selected
    assert.equal(head.headers["sec-websocket-protocol"], undefined);
    assert.equal(head.headers["sec-websocket-extensions"], undefined);
    const f = await c.next();
    assertServerFrame(f);
    assert.equal(f.opcode, OP.text);
    assert.ok(f.fin);
    assert.ok(f.text.startsWith("0{"), f.text);
    const open = JSON.parse(f.text.slice(1));
    assert.equal(typeof open.sid, "string");
    assert.deepEqual(open.upgrades, []);
    assert.equal(open.maxPayload, MAX_PAYLOAD);
  });

  rule("W.2 a ping frame gets a pong with the same payload", async () => {
    const c = new RawConn(server);
    await c.open();
    // 125 bytes is the largest control payload; include bytes that are not UTF-8
    const payload = Buffer.from(Array.from({ length: 125 }, (_, i) => (i * 37 + 255) & 0xff));
    await c.send(encodeFrame(OP.ping, payload));
    const pong = await c.next();
    assertServerFrame(pong);
    assert.equal(pong.opcode, OP.pong);
    assert.ok(pong.fin);
    assert.deepEqual(pong.payload, payload);
    await c.send(encodeFrame(OP.ping));
    const empty = await c.next();
    assert.equal(empty.opcode, OP.pong);
    assert.equal(empty.payload.length, 0);
  });

  rule("W.3 a fragmented message is reassembled, with a control frame allowed between fragments", async () => {
    const c = new RawConn(server);
    await c.open();
    await c.send(encodeFrame(OP.text, "4he", { fin: false }));
    await c.send(encodeFrame(OP.cont, "llo"));
    const echo = await c.next();
    assertServerFrame(echo);
    assert.equal(echo.opcode, OP.text);
    assert.ok(echo.fin);
    assert.equal(echo.text, "4hello");
    // RFC 6455 §5.4: control frames may be injected in the middle of a fragmented message;
    // the split also cuts a UTF-8 sequence (é = c3 a9) in two
    const whole = Buffer.from("4héllo", "utf8");
    await c.send(
      encodeFrame(OP.text, whole.subarray(0, 3), { fin: false }),
      encodeFrame(OP.ping, "mid"),
      encodeFrame(OP.cont, whole.subarray(3, 5), { fin: false }),
      encodeFrame(OP.cont, whole.subarray(5)),
    );
    const pong = await c.next();
    assert.equal(pong.opcode, OP.pong, `expected the pong first (${c.state()})`);
    assert.equal(pong.payload.toString(), "mid");
    const echo2 = await c.next();
    assert.equal(echo2.opcode, OP.text);
    assert.equal(echo2.text, "4héllo");
  });

  rule("W.4 a close frame is answered with the same code and reason, then the connection ends", async () => {
    const c = new RawConn(server);
    await c.open();
    await c.send(encodeFrame(OP.close, closePayload(1000, "bye now")));
    const f = await c.next();
    assertServerFrame(f);
    assert.equal(f.opcode, OP.close);
    assert.equal(f.code, 1000);
    assert.equal(f.reason, "bye now");
    await c.ends();
    assert.equal(c.queue.length, 0, `frames after the close frame: ${c.state()}`);
    await assertServing(server);
  });

  rule("W.5 an unmasked client frame fails the connection with 1002", async () => {
    const c = new RawConn(server);
    await c.open();
    await c.send(encodeFrame(OP.text, "4unmasked", { mask: false }));
    await assertFailedWith(c, 1002);
    assert.ok(!c.frames.some((f) => f.text === "4unmasked"), "the unmasked message was echoed");
    await assertServing(server);
  });

  rule("W.6 a text frame with invalid UTF-8 fails the connection with 1007", async () => {
    const c = new RawConn(server);
    await c.open();
    await c.send(encodeFrame(OP.text, Buffer.from([0x34, 0x61, 0xff, 0xfe, 0x62])));
    await assertFailedWith(c, 1007);
    await assertServing(server);
  });

  rule("W.7 a message over maxPayload fails the connection with 1009", async () => {
    // exactly maxPayload bytes is still accepted
    const ok = new RawConn(server);
    await ok.open();
    const fits = "4" + "a".repeat(MAX_PAYLOAD - 1);
    await ok.send(encodeFrame(OP.text, fits));
    assert.equal((await ok.next()).text, fits);

    const one = new RawConn(server);
    await one.open();
    await one.send(encodeFrame(OP.text, "4" + "b".repeat(MAX_PAYLOAD)));
    await assertFailedWith(one, 1009);

    // the limit is on the reassembled message, not on each fragment
    const frag = new RawConn(server);
    await frag.open();
    const half = "c".repeat(MAX_PAYLOAD / 2 + 100);
    await frag.send(encodeFrame(OP.text, "4" + half, { fin: false }), encodeFrame(OP.cont, half));
    await assertFailedWith(frag, 1009);
    await assertServing(server);
  });

  rule("W.8 a bad Sec-WebSocket-Key or Sec-WebSocket-Version is refused with HTTP 400", async () => {
    const badKey = new RawConn(server, { key: "abc" });
    const r1 = await badKey.response();
    assert.equal(r1.statusLine, "HTTP/1.1 400 Bad Request");
    assert.equal(r1.headers.connection?.toLowerCase(), "close");
    assert.match(r1.headers["content-type"] || "", /^text\/html\b/);
    assert.equal(await badKey.body(), "Missing or invalid Sec-WebSocket-Key header");
    await badKey.ends();

    const badVersion = new RawConn(server, { headers: { "Sec-WebSocket-Version": "12" } });
    const r2 = await badVersion.response();
    assert.equal(r2.statusLine, "HTTP/1.1 400 Bad Request");
    // RFC 6455 §4.4: the refusal names the versions the server speaks
    assert.equal(r2.headers["sec-websocket-version"], "13, 8");
    assert.equal(r2.headers.connection?.toLowerCase(), "close");
    assert.match(r2.headers["content-type"] || "", /^text\/html\b/);
    assert.equal(await badVersion.body(), "Missing or invalid Sec-WebSocket-Version header");
    await badVersion.ends();
    await assertServing(server);
  });

  rule("W.9 offered subprotocols: the first one is selected", async () => {
    const c = new RawConn(server, { headers: { "Sec-WebSocket-Protocol": "foo, bar" } });
    const head = await c.response();
    assert.equal(head.status, 101);
    assert.equal(head.headers["sec-websocket-protocol"], "foo");
    await c.open();
  });

  rule("W.10 after all the bad cases at once the server keeps serving", async () => {
    const bad = [
      [{}, encodeFrame(OP.text, "4x", { mask: false })],
      [{}, encodeFrame(OP.text, Buffer.from([0x34, 0xc3]))],
      [{}, encodeFrame(OP.text, "4" + "d".repeat(MAX_PAYLOAD))],
      [{}, encodeFrame(OP.close, closePayload(1000, "bye"))],
      [{ key: "abc" }, null],
      [{ headers: { "Sec-WebSocket-Version": "12" } }, null],
    ];
    await Promise.all(
      bad.map(async ([opts, frame]) => {
        const c = new RawConn(server, opts);
        if (frame) {
          await c.open();
          await c.send(frame);
        }
        await c.ends();
      }),
    );
    await assertServing(server);
  });
});
