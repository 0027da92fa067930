// Raw bytes on the wire: a TCP connection that can write anything and read HTTP responses one by
// one, and a WebSocket built on it that writes any frame (fragments, control frames, byte by
// byte) and reads the server's frames as they are. Every wait is bounded.
import net from "node:net";
import { randomBytes } from "node:crypto";

export const DEFAULT_TIMEOUT_MS = 10_000;
const CRLF2 = Buffer.from("\r\n\r\n");

function deadline(ms, what) {
  let timer;
  const promise = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** A raw TCP connection to the server: write any bytes, read what comes back. */
export class Conn {
  static open(port, { host = "127.0.0.1", localAddress, timeout = DEFAULT_TIMEOUT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, localAddress });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeout);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new Conn(socket));
      });
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  constructor(socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    this.buf = Buffer.alloc(0);
    this.received = 0;
    this.waiters = [];
    this.ended = false; // the server closed its side (or reset)
    this.error = null;
    this.discard = false; // true: received bytes are counted and dropped
    socket.on("data", (d) => {
      this.received += d.length;
      if (this.discard) return;
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake();
    });
    socket.on("error", (err) => {
      this.error = err;
    });
    this.closed = new Promise((resolve) => {
      socket.on("close", (hadError) => {
        this.ended = true;
        this.wake();
        resolve({ hadError, error: this.error });
      });
    });
    socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
  }

  wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `test()` returns a value other than undefined (checked on every arrival). */
  async until(test, { timeout = DEFAULT_TIMEOUT_MS, what = "waiting for the server" } = {}) {
    const d = deadline(timeout, what);
    try {
      for (;;) {
        const v = test();
        if (v !== undefined) return v;
        await Promise.race([new Promise((r) => this.waiters.push(r)), d.promise]);
      }
    } finally {
      d.cancel();
    }
  }

  /** Write and resolve once the bytes are handed to the kernel; resolves false if the connection failed. */
  write(data) {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve(false);
      this.socket.write(data, (err) => resolve(!err));
    });
  }

  /**
   * Writes the Buffers of `chunks` (any iterable), keeping at most about `highWater` bytes queued
   * in this process. Stops early if the server closes. Resolves with the bytes handed to write().
   */
  async writeStream(chunks, { highWater = 1 << 20 } = {}) {
    let sent = 0;
    for (const c of chunks) {
      if (this.socket.destroyed || this.ended) break;
      this.socket.write(c);
      sent += c.length;
      if (this.socket.writableLength > highWater) {
        await new Promise((resolve) => {
          const done = () => {
            this.socket.off("drain", done);
            this.socket.off("close", done);
            resolve();
          };
          this.socket.on("drain", done);
          this.socket.on("close", done);
        });
      }
    }
    return sent;
  }

  pause() {
    this.socket.pause();
  }
  resume() {
    this.socket.resume();
  }
  destroy() {
    this.socket.destroy();
  }
  /** Abortive close (RST), as a crashed client or a pulled cable. */
  reset() {
    if (typeof this.socket.resetAndDestroy === "function") this.socket.resetAndDestroy();
    else this.socket.destroy();
  }

  /** Takes `n` bytes once they are there. */
  take(n) {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /**
   * The next HTTP response: { status, reason, headers (lowercase names), rawHead, body }.
   * `head: true` for the answer to a HEAD request (no body).
   */
  async readResponse({ timeout = DEFAULT_TIMEOUT_MS, head = false } = {}) {
    const parsed = await this.until(() => parseResponse(this.buf, { head, ended: this.ended }), {
      timeout,
      what: "HTTP response",
    });
    if (parsed === null) {
      throw Object.assign(new Error(`connection closed before a whole response (${this.buf.length} bytes pending)`), {
        closedEarly: true,
        pending: this.buf.toString("latin1").slice(0, 300),
      });
    }
    this.take(parsed.length);
    return parsed.response;
  }

  /** Resolves with true once the server has closed the connection, false on timeout. */
  async waitClosed(timeout = DEFAULT_TIMEOUT_MS) {
    let timer;
    const r = await Promise.race([
      this.closed.then(() => true),
      new Promise((resolve) => (timer = setTimeout(() => resolve(false), timeout))),
    ]);
    clearTimeout(timer);
    return r;
  }
}

/**
 * One HTTP response at the start of `buf`: { response, length } once whole; undefined while
 * incomplete; null if the connection ended before it was whole.
 */
export function parseResponse(buf, { head = false, ended = false } = {}) {
  const end = buf.indexOf(CRLF2);
  if (end < 0) return ended ? null : undefined;
  const rawHead = buf.subarray(0, end).toString("latin1");
  const [statusLine, ...lines] = rawHead.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(statusLine);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(rawHead.slice(0, 200))}`);
  const headers = {};
  for (const line of lines) {
    const i = line.indexOf(":");
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const status = Number(m[1]);
  const start = end + 4;
  const response = { status, reason: m[2], headers, rawHead, body: Buffer.alloc(0) };
  if (head || status === 204 || status === 304 || status === 101 || (status >= 100 && status < 200)) {
    return { response, length: start };
  }
  if (/chunked/i.test(headers["transfer-encoding"] || "")) {
    let pos = start;
    const parts = [];
    for (;;) {
      const lineEnd = buf.indexOf("\r\n", pos);
      if (lineEnd < 0) return ended ? null : undefined;
      const size = parseInt(buf.subarray(pos, lineEnd).toString("latin1"), 16);
      if (size === 0) {
        // "0\r\n" then trailer lines, each ending in CRLF, then an empty line.
        const trailerEnd = buf.indexOf(CRLF2, lineEnd);
        if (trailerEnd < 0) return ended ? null : undefined;
        const stop = trailerEnd + 4;
        response.body = Buffer.concat(parts);
        return { response, length: stop };
      }
      if (buf.length < lineEnd + 2 + size + 2) return ended ? null : undefined;
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      pos = lineEnd + 2 + size + 2;
    }
  }
  if ("content-length" in headers) {
    const n = Number(headers["content-length"]);
    if (buf.length < start + n) return ended ? null : undefined;
    response.body = Buffer.from(buf.subarray(start, start + n));
    return { response, length: start + n };
  }
  // Neither: the body runs to the end of the connection.
  if (!ended) return undefined;
  response.body = Buffer.from(buf.subarray(start));
  return { response, length: buf.length };
}

/** A request's bytes: `method path HTTP/1.1`, Host, the given headers, Content-Length if a body. */
export function requestBytes({ method = "GET", path = "/", headers = {}, body, host = "127.0.0.1" } = {}) {
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  if (body !== undefined && !Object.keys(headers).some((k) => /^(content-length|transfer-encoding)$/i.test(k))) {
    head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  }
  head += "\r\n";
  return body === undefined ? Buffer.from(head, "latin1") : Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(body)]);
}

/** One request on a fresh connection; the response (the connection is closed afterwards). */
export async function httpRequest(port, opts = {}, { timeout = DEFAULT_TIMEOUT_MS, localAddress } = {}) {
  const conn = await Conn.open(port, { localAddress, timeout });
  try {
    await conn.write(requestBytes(opts));
    return await conn.readResponse({ timeout, head: opts.method === "HEAD" });
  } finally {
    conn.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// WebSocket frames (RFC 6455 §5.2)

export const OP = { cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };
const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** A client frame (masked, as RFC 6455 §5.3 requires). */
export function frame(opcode, payload = Buffer.alloc(0), { fin = true, mask = MASK } = {}) {
  payload = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const n = payload.length;
  const lenBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = Buffer.alloc(2 + lenBytes + 4 + n);
  out[0] = (fin ? 0x80 : 0) | opcode;
  if (lenBytes === 0) out[1] = 0x80 | n;
  else if (lenBytes === 2) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  const at = 2 + lenBytes;
  mask.copy(out, at);
  for (let i = 0; i < n; ++i) out[at + 4 + i] = payload[i] ^ mask[i & 3];
  return out;
}

/** A server frame at the start of `buf`: { fin, opcode, payload, length }, or undefined. */
export function parseFrame(buf) {
  if (buf.length < 2) return undefined;
  const fin = (buf[0] & 0x80) !== 0;
  const opcode = buf[0] & 0x0f;
  const masked = (buf[1] & 0x80) !== 0;
  let n = buf[1] & 0x7f;
  let pos = 2;
  if (n === 126) {
    if (buf.length < 4) return undefined;
    n = buf.readUInt16BE(2);
    pos = 4;
  } else if (n === 127) {
    if (buf.length < 10) return undefined;
    n = Number(buf.readBigUInt64BE(2));
    pos = 10;
  }
  if (masked) pos += 4;
  if (buf.length < pos + n) return undefined;
  return { fin, opcode, payload: Buffer.from(buf.subarray(pos, pos + n)), length: pos + n };
}

/** The bytes of a WebSocket upgrade request for `path` (a fresh key each time). */
export function upgradeRequest(path, { method = "GET", headers = {} } = {}) {
  const key = randomBytes(16).toString("base64");
  return requestBytes({
    method,
    path,
    headers: { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13", ...headers },
  });
}

/**
 * A WebSocket on a raw connection. Opens with GET `path` (any method with `method`); frames from
 * the server are queued as they come; `next()` gives the next one. Engine.IO pings ("2") are
 * answered ("3") unless `answerPings` is false, so that a long test is not closed by heartbeat.
 */
export class WireWs {
  static async open(port, path, { localAddress, headers = {}, method = "GET", timeout = DEFAULT_TIMEOUT_MS, answerPings = true } = {}) {
    const conn = await Conn.open(port, { localAddress, timeout });
    await conn.write(upgradeRequest(path, { method, headers }));
    let res;
    try {
      res = await conn.readResponse({ timeout, head: true });
    } catch (err) {
      conn.destroy();
      throw err;
    }
    if (res.status !== 101) {
      // A refusal: read its body too (it runs to the close or to Content-Length).
      conn.buf = Buffer.concat([Buffer.from(res.rawHead + "\r\n\r\n", "latin1"), conn.buf]);
      const full = await conn.readResponse({ timeout }).catch(() => res);
      conn.destroy();
      throw Object.assign(new Error(`WebSocket refused with HTTP ${res.status}`), { response: full });
    }
    return new WireWs(conn, { answerPings });
  }

  constructor(conn, { answerPings }) {
    this.conn = conn;
    this.answerPings = answerPings;
  }

  get closed() {
    return this.conn.closed;
  }

  send(opcode, payload, opts) {
    return this.conn.write(frame(opcode, payload, opts));
  }
  text(s) {
    return this.send(OP.text, Buffer.from(s));
  }
  binary(b) {
    return this.send(OP.binary, b);
  }

  /** The next frame from the server ({ fin, opcode, payload }); rejects on timeout or close. */
  async nextFrame({ timeout = DEFAULT_TIMEOUT_MS } = {}) {
    const f = await this.conn.until(
      () => {
        const f = parseFrame(this.conn.buf);
        if (f) return f;
        if (this.conn.ended) return null;
        return undefined;
      },
      { timeout, what: "WebSocket frame" },
    );
    if (!f) throw Object.assign(new Error("WebSocket closed by the server"), { closed: true });
    this.conn.take(f.length);
    return f;
  }

  /**
   * The next text message other than an Engine.IO ping (answered with a pong). Binary frames and
   * control frames are returned as they are when `all` is set, skipped otherwise.
   */
  async nextText({ timeout = DEFAULT_TIMEOUT_MS, all = false } = {}) {
    const end = Date.now() + timeout;
    for (;;) {
      const f = await this.nextFrame({ timeout: Math.max(1, end - Date.now()) });
      if (f.opcode === OP.text) {
        const s = f.payload.toString("utf8");
        if (s === "2" && this.answerPings) {
          await this.text("3");
          continue;
        }
        return s;
      }
      if (f.opcode === OP.close) throw Object.assign(new Error(`WebSocket close frame ${f.payload.length >= 2 ? f.payload.readUInt16BE(0) : ""}`), { closed: true, frame: f });
      if (all) return f;
    }
  }

  /** Waits for the text message `expected`, skipping others; returns what was skipped. */
  async expectText(expected, { timeout = DEFAULT_TIMEOUT_MS } = {}) {
    const skipped = [];
    const end = Date.now() + timeout;
    for (;;) {
      const s = await this.nextText({ timeout: Math.max(1, end - Date.now()) });
      if (s === expected) return skipped;
      skipped.push(s);
    }
  }

  /**
   * Reads until the server closes: a close frame is answered with one (the closing handshake)
   * and then the TCP close is awaited. Resolves with { code, frames } (code: the close frame's
   * status code, null without one) or rejects after `timeout`.
   */
  async expectClose({ timeout = DEFAULT_TIMEOUT_MS } = {}) {
    const end = Date.now() + timeout;
    let frames = 0;
    let code = null;
    for (;;) {
      let f;
      try {
        f = await this.nextFrame({ timeout: Math.max(1, end - Date.now()) });
      } catch (err) {
        if (err.closed) break;
        throw err;
      }
      frames++;
      if (f.opcode === OP.close) {
        code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null;
        await this.send(OP.close, f.payload.subarray(0, 2));
        break;
      }
    }
    if (!(await this.conn.waitClosed(Math.max(1, end - Date.now())))) throw new Error("the server did not close the TCP connection");
    return { code, frames };
  }

  pause() {
    this.conn.pause();
  }
  resume() {
    this.conn.resume();
  }
  destroy() {
    this.conn.destroy();
  }
}

/** Loopback source addresses 127.0.0.(base+1) ... for spreading many connections over several "clients". */
export function loopbackAddress(i, spread = 50) {
  return `127.0.0.${2 + (i % spread)}`;
}
