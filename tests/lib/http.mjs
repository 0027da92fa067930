// Raw HTTP/1.1 client on node:net (and node:tls) with full control over what goes on the wire.
// One request per TCP connection. Every wait has a timeout that rejects with a clear message.
import net from "node:net";
import tls from "node:tls";
import { track } from "./track.mjs";

export const DEFAULT_TIMEOUT_MS = 5000;

export class NoResponseError extends Error {
  constructor(message, partial) {
    super(message);
    this.code = "NO_RESPONSE";
    this.partial = partial;
  }
}

/** Build the bytes of a request. `headers` is an object or an array of [name, value]. */
export function buildRequest({ method = "GET", path = "/", headers = {}, body, host = "127.0.0.1", contentLength = true }) {
  const bodyBuf = body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(String(body), "utf8");
  const list = Array.isArray(headers) ? [...headers] : Object.entries(headers);
  const has = (n) => list.some(([k]) => k.toLowerCase() === n);
  if (!has("host")) list.unshift(["Host", host]);
  if (bodyBuf && contentLength && !has("content-length")) list.push(["Content-Length", String(bodyBuf.length)]);
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [k, v] of list) head += `${k}: ${v}\r\n`;
  head += "\r\n";
  return bodyBuf ? Buffer.concat([Buffer.from(head, "latin1"), bodyBuf]) : Buffer.from(head, "latin1");
}

function parseHead(buf) {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
  const statusLine = lines.shift();
  const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) throw new Error(`bad status line: ${JSON.stringify(statusLine)}`);
  const headers = {};
  const rawHeaders = [];
  for (const line of lines) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    rawHeaders.push([name, value]);
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  return { statusLine, httpVersion: m[1], status: Number(m[2]), statusText: m[3] ?? "", headers, rawHeaders, headLength: end + 4 };
}

function decodeChunked(buf) {
  // returns { body, complete }
  const parts = [];
  let pos = 0;
  for (;;) {
    const lineEnd = buf.indexOf("\r\n", pos);
    if (lineEnd < 0) return { complete: false };
    const size = parseInt(buf.subarray(pos, lineEnd).toString("latin1"), 16);
    if (Number.isNaN(size)) throw new Error("bad chunk size");
    if (size === 0) return { complete: true, body: Buffer.concat(parts) };
    if (buf.length < lineEnd + 2 + size + 2) return { complete: false };
    parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
    pos = lineEnd + 2 + size + 2;
  }
}

/**
 * Open a connection and write `raw` (Buffer/string, or an array of pieces written in turn).
 * Returns a handle:
 *   response   Promise<{status, statusText, statusLine, headers, rawHeaders, body: Buffer, text, at}>
 *              rejects with NoResponseError if the connection closes before a full response
 *   socket     the net.Socket (write more with handle.write)
 *   written    Promise resolved once the bytes given so far were handed to the kernel
 *   closed     Promise resolved when the TCP connection is closed (by either side), with the time
 *   abort()    destroy the connection
 * Options: timeout (0 = none), keepOpenAfterResponse, halfClose (send FIN after writing `raw`).
 */
export function rawRequest(server, raw, { timeout = DEFAULT_TIMEOUT_MS, keepOpenAfterResponse = false, halfClose = false } = {}) {
  const opts = { host: server.host, port: server.port };
  const socket = server.tls
    ? tls.connect({ ...opts, rejectUnauthorized: false, servername: "localhost" })
    : net.connect(opts);
  track(socket);
  const chunks = [];
  let total = Buffer.alloc(0);
  let settled = false;
  let resolveResp, rejectResp;
  const response = new Promise((res, rej) => {
    resolveResp = res;
    rejectResp = rej;
  });
  response.catch(() => {}); // callers that do not await it must not crash the run
  let timer = null;
  if (timeout > 0) {
    timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      rejectResp(new Error(`no complete HTTP response within ${timeout} ms; got ${JSON.stringify(total.toString("latin1").slice(0, 300))}`));
    }, timeout);
  }
  const finish = (resp) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    resolveResp(resp);
    if (!keepOpenAfterResponse) socket.destroy();
  };
  const tryParse = (eof) => {
    if (settled) return;
    let head;
    try {
      head = parseHead(total);
    } catch (err) {
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      rejectResp(err);
      return;
    }
    if (!head) return;
    const rest = total.subarray(head.headLength);
    let body = null;
    if (head.status === 101 || head.status === 204 || head.status === 304) {
      body = Buffer.alloc(0);
    } else if ("content-length" in head.headers) {
      const len = Number(head.headers["content-length"]);
      if (rest.length >= len) body = rest.subarray(0, len);
    } else if (/chunked/i.test(head.headers["transfer-encoding"] || "")) {
      const r = decodeChunked(rest);
      if (r.complete) body = r.body;
    } else if (eof) {
      body = rest;
    }
    if (body === null) return;
    finish({ ...head, body, text: body.toString("utf8"), at: Date.now() });
  };
  socket.on("data", (d) => {
    chunks.push(d);
    total = Buffer.concat([total, d]);
    tryParse(false);
  });
  let closedAt = null;
  const closed = new Promise((resolve) => {
    socket.on("close", () => {
      closedAt = Date.now();
      tryParse(true);
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        rejectResp(new NoResponseError(`connection closed without a complete HTTP response (got ${total.length} bytes)`, total));
      }
      resolve(closedAt);
    });
  });
  socket.on("error", () => {}); // surfaced through close / response
  const pieces = Array.isArray(raw) ? raw : [raw];
  let written = Promise.resolve();
  const write = (data) => {
    written = new Promise((resolve) => {
      if (socket.destroyed) return resolve();
      socket.write(data, () => resolve());
    });
    return written;
  };
  for (const p of pieces) write(p);
  if (halfClose) socket.end(); // send FIN after the bytes: the server sees EOF
  return {
    socket,
    response,
    closed,
    get written() {
      return written;
    },
    write,
    abort() {
      socket.destroy();
    },
  };
}

/**
 * Convenience: send one request and return its response.
 *   request(server, { method, path, query, headers, body, timeout })
 * `query` is appended to `path` (default server.path).
 */
export function startRequest(server, { method = "GET", path, query, headers = {}, body, timeout, contentLength } = {}) {
  let p = path ?? server.path;
  if (query !== undefined) {
    const qs = typeof query === "string" ? query : new URLSearchParams(query).toString();
    p += (p.includes("?") ? "&" : "?") + qs;
  }
  const raw = buildRequest({ method, path: p, headers, body, host: `${server.host}:${server.port}`, contentLength });
  return rawRequest(server, raw, { timeout });
}

export function request(server, opts) {
  return startRequest(server, opts).response;
}

/** Resolve with the response, or with { noResponse: true, error } when the server closed the connection. */
export async function settle(promise) {
  try {
    return await promise;
  } catch (err) {
    if (err.code === "NO_RESPONSE") return { noResponse: true, error: err };
    throw err;
  }
}
