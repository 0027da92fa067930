// Raw WebSocket helper on top of the `ws` package: frames in arrival order, the close code,
// and the HTTP response of a refused handshake.
import WebSocket from "ws";
import { track } from "./track.mjs";
import { DEFAULT_TIMEOUT_MS } from "./http.mjs";

export class RawWs {
  constructor(url, { headers = {}, timeout = DEFAULT_TIMEOUT_MS } = {}) {
    this.url = url;
    this.frames = []; // every frame received: { data: string|Buffer, binary, at }
    this.queue = []; // frames not consumed by next() yet
    this.waiters = [];
    this.closeInfo = null;
    this.ws = new WebSocket(url, {
      headers,
      perMessageDeflate: false,
      rejectUnauthorized: false,
      handshakeTimeout: timeout,
    });
    track(this.ws);
    this.ws.on("error", () => {}); // surfaced through opened / closed
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => {
        this.openedAt = Date.now();
        resolve(this);
      });
      this.ws.once("unexpected-response", (req, res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const err = new Error(`WebSocket handshake refused with HTTP ${res.statusCode}`);
          err.status = res.statusCode;
          err.headers = res.headers;
          err.body = Buffer.concat(chunks).toString("utf8");
          reject(err);
          req.destroy();
        });
      });
      this.ws.once("close", () => reject(Object.assign(new Error("WebSocket closed before the handshake completed"), { status: 0 })));
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.ws.on("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString(), at: Date.now() };
        for (const w of this.waiters.splice(0)) w.reject(new Error(`WebSocket closed (code ${code}) while waiting for a frame`));
        resolve(this.closeInfo);
      });
    });
    this.ws.on("message", (data, isBinary) => {
      const frame = { data: isBinary ? Buffer.from(data) : data.toString("utf8"), binary: isBinary, at: Date.now() };
      this.frames.push(frame);
      const w = this.waiters.shift();
      if (w) w.resolve(frame);
      else this.queue.push(frame);
    });
  }

  /** Next received frame ({ data, binary, at }); rejects on timeout or close. */
  next(timeout = DEFAULT_TIMEOUT_MS) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closeInfo) return Promise.reject(new Error(`WebSocket already closed (code ${this.closeInfo.code})`));
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no WebSocket frame within ${timeout} ms`));
      }, timeout);
      this.waiters.push(w);
    });
  }

  /** Next frame, or null once the socket is closed; rejects on timeout. */
  async nextOrClose(timeout = DEFAULT_TIMEOUT_MS) {
    try {
      return await this.next(timeout);
    } catch (err) {
      if (this.closeInfo && !this.queue.length) return null;
      throw err;
    }
  }

  /** Next frame, which must be a text frame; returns its string. */
  async nextText(timeout) {
    const f = await this.next(timeout);
    if (f.binary) throw new Error(`expected a text frame, got a binary one (${f.data.length} bytes)`);
    return f.data;
  }

  /** Skip server pings (`2`) and return the next other text frame. */
  async nextNonPing(timeout) {
    for (;;) {
      const f = await this.next(timeout);
      if (!f.binary && f.data === "2") continue;
      return f;
    }
  }

  send(data) {
    return new Promise((resolve, reject) => {
      this.ws.send(data, { binary: Buffer.isBuffer(data) || data instanceof Uint8Array }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Resolves with { code, reason, at } when closed; rejects after `timeout`. */
  waitClosed(timeout = DEFAULT_TIMEOUT_MS) {
    if (this.closeInfo) return Promise.resolve(this.closeInfo);
    return withTimeout(this.closed, timeout, "WebSocket was not closed");
  }

  close(code) {
    this.ws.close(code);
  }

  terminate() {
    this.ws.terminate();
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    }),
  ]);
}

/** Open a WebSocket to the engine endpoint of `server` with the given query (EIO=4 and transport=websocket added unless present). */
export function engineWs(server, query = {}, opts = {}) {
  const q = new URLSearchParams({ EIO: "4", transport: "websocket", ...query });
  for (const [k, v] of Object.entries(query)) if (v === undefined) q.delete(k);
  return new RawWs(`${server.wsUrl}${opts.path ?? server.path}?${q}`, opts);
}
