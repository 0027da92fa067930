// Engine.IO v4 helpers for raw clients: payload codec and polling session operations.
import assert from "node:assert/strict";
import { request, startRequest } from "./http.mjs";

export const SEP = "\x1e";

export const ERRORS = {
  0: "Transport unknown",
  1: "Session ID unknown",
  2: "Bad handshake method",
  3: "Bad request",
  4: "Forbidden",
  5: "Unsupported protocol version",
};

/** Split a polling payload into packets: { type, data } for text, { type: "binary", data: Buffer } for `b`. */
export function decodePayload(text) {
  return text.split(SEP).map((p) => {
    if (p.startsWith("b")) return { type: "binary", data: Buffer.from(p.slice(1), "base64"), raw: p };
    return { type: p.charAt(0), data: p.slice(1), raw: p };
  });
}

/** Join encoded packets (strings, or Buffers which become `b` + base64). */
export function encodePayload(packets) {
  return packets.map((p) => (Buffer.isBuffer(p) ? "b" + p.toString("base64") : p)).join(SEP);
}

export function engineQuery(extra = {}) {
  const q = new URLSearchParams({ EIO: "4", transport: "polling", ...extra });
  for (const [k, v] of Object.entries(extra)) if (v === undefined) q.delete(k);
  return q.toString();
}

/** Polling handshake; asserts a 200 open packet and returns { sid, open, res }. */
export async function handshake(server, query = {}, opts = {}) {
  const res = await request(server, { method: "GET", query: engineQuery(query), ...opts });
  assert.equal(res.status, 200, `handshake failed: HTTP ${res.status} ${res.text}`);
  assert.ok(res.text.startsWith("0{"), `handshake body is not an open packet: ${JSON.stringify(res.text.slice(0, 200))}`);
  const first = res.text.split(SEP)[0];
  const open = JSON.parse(first.slice(1));
  return { sid: open.sid, open, res, openedAt: res.at };
}

/** Start a GET on the session (not awaited); returns the rawRequest handle. */
export function startPoll(server, sid, { timeout = 5000, query = {} } = {}) {
  return startRequest(server, { method: "GET", query: engineQuery({ sid, ...query }), timeout });
}

export function poll(server, sid, opts) {
  return startPoll(server, sid, opts).response;
}

export function startPost(server, sid, payload, { timeout = 5000, headers = {}, query = {} } = {}) {
  return startRequest(server, {
    method: "POST",
    query: engineQuery({ sid, ...query }),
    headers: { "Content-Type": "text/plain;charset=UTF-8", ...headers },
    body: payload,
    timeout,
  });
}

export function post(server, sid, payload, opts) {
  return startPost(server, sid, payload, opts).response;
}

/** POST that must be answered `200 ok`. */
export async function postOk(server, sid, payload, opts) {
  const res = await post(server, sid, payload, opts);
  assert.equal(res.status, 200, `POST ${JSON.stringify(String(payload).slice(0, 60))} got HTTP ${res.status} ${res.text.slice(0, 200)}`);
  assert.equal(res.text, "ok");
  return res;
}

/**
 * GET until a payload holds something other than pings/noops; answers pings with a pong so that
 * long waits stay alive. Returns the decoded packets of that payload (pings and noops removed).
 */
export async function pollMessages(server, sid, { timeout = 5000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no message on session ${sid} within ${timeout} ms`);
    const res = await poll(server, sid, { timeout: left });
    assert.equal(res.status, 200, `GET got HTTP ${res.status} ${res.text}`);
    const packets = decodePayload(res.text);
    if (packets.some((p) => p.type === "2")) await postOk(server, sid, "3");
    const rest = packets.filter((p) => p.type !== "2" && p.type !== "6");
    if (rest.length) return rest;
  }
}

/** Round trip of a text message over polling; proves the session is usable. */
export async function echoPolling(server, sid, msg = "hello") {
  await postOk(server, sid, "4" + msg);
  const packets = await pollMessages(server, sid);
  assert.deepEqual(packets.map((p) => p.raw), ["4" + msg]);
}

/** Assert an engine.io error response: exact status, Content-Type application/json, exact JSON body. */
export function assertEngineError(res, code, { status = code === 4 ? 403 : 400 } = {}) {
  assert.equal(res.status, status, `expected HTTP ${status}, got ${res.status} ${res.text}`);
  assert.match(res.headers["content-type"] || "", /^application\/json\b/, `Content-Type was ${res.headers["content-type"]}`);
  assert.equal(res.text, JSON.stringify({ code, message: ERRORS[code] }));
}

/**
 * Assert that `sid` is gone: a request with it gets HTTP 400 `{"code":1,...}`. Over polling a
 * live session would hold the GET (test fails on timeout); a live session on another transport
 * answers code 3, so that answer is retried until `timeout`.
 */
export async function expectSidGone(server, sid, { timeout = 2000, method = "GET" } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const left = Math.max(deadline - Date.now(), 200);
    const res =
      method === "GET"
        ? await poll(server, sid, { timeout: left }).catch((err) => {
            throw new Error(`session ${sid} still alive: ${err.message}`);
          })
        : await post(server, sid, "4is-the-session-alive", { timeout: left });
    // Retried until `timeout`: code 3 (a live session on another transport), and an empty 400
    // (this GET overlapped the client's own held GET because the close packet is still in flight:
    // the server refuses the overlap, as the reference does, and ends the session).
    const tearingDown = res.status === 400 && (res.text.includes('"code":3') || (method === "GET" && res.text === ""));
    if (tearingDown && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25)); // retry cadence while the server tears the session down
      continue;
    }
    assert.equal(res.status, 400, `session ${sid} still alive: ${method} got HTTP ${res.status} ${JSON.stringify(res.text.slice(0, 200))}`);
    assertEngineError(res, 1);
    return res;
  }
}

/**
 * A request that the server answers at once without touching any session (unknown sid).
 * Used after writing a request on another connection, so that the server has read that
 * connection before the test goes on.
 */
export async function syncWithServer(server) {
  const res = await request(server, { method: "GET", query: engineQuery({ sid: "sync-barrier-unknown-sid" }) });
  assert.equal(res.status, 400);
}

/** Start a GET and wait until the server has seen it. */
export async function pendingPoll(server, sid, opts) {
  const h = startPoll(server, sid, opts);
  await h.written;
  await syncWithServer(server);
  return h;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
