// Engine.IO / Socket.IO over raw requests and raw WebSockets, for attacks that the official
// clients cannot send.
import { httpRequest, WireWs } from "./wire.mjs";

export const SEP = "\x1e";

export function pollPath(server, query = "") {
  return `${server.enginePath}?EIO=4&transport=polling${query}`;
}

/** A polling handshake; the open packet's fields ({ sid, pingInterval, ... }). */
export async function handshake(server, opts = {}) {
  const res = await httpRequest(server.port, { path: pollPath(server), headers: opts.headers }, opts);
  if (res.status !== 200) throw new Error(`handshake answered ${res.status}: ${res.body}`);
  const text = res.body.toString();
  if (text[0] !== "0") throw new Error(`handshake body ${JSON.stringify(text.slice(0, 200))}`);
  return JSON.parse(text.slice(1));
}

/** POST `body` to the session; the response. */
export function post(server, sid, body, opts = {}) {
  return httpRequest(server.port, { method: "POST", path: pollPath(server, `&sid=${sid}`), headers: { "Content-Type": "text/plain;charset=UTF-8" }, body }, opts);
}

/** GET the session's queued packets: the response with `packets` (the payload split). */
export async function get(server, sid, opts = {}) {
  const res = await httpRequest(server.port, { path: pollPath(server, `&sid=${sid}`) }, opts);
  res.packets = res.status === 200 ? res.body.toString().split(SEP) : [];
  return res;
}

/** GETs until a packet satisfying `test` arrives (answering pings); returns it. */
export async function pollUntil(server, sid, test, { timeout = 10_000 } = {}) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    const res = await get(server, sid, { timeout: Math.max(1, end - Date.now()) });
    if (res.status !== 200) throw new Error(`GET answered ${res.status}: ${res.body}`);
    for (const p of res.packets) {
      if (test(p)) return p;
      if (p === "2") await post(server, sid, "3");
    }
  }
  throw new Error(`no matching packet within ${timeout} ms`);
}

/** A raw WebSocket session (transport=websocket) whose open packet has been read. */
export async function engineWs(server, opts = {}) {
  const ws = await WireWs.open(server.port, `${server.enginePath}?EIO=4&transport=websocket`, opts);
  const open = await ws.nextText();
  if (open[0] !== "0") throw new Error(`expected the open packet, got ${JSON.stringify(open.slice(0, 100))}`);
  ws.open = JSON.parse(open.slice(1));
  return ws;
}

/** A raw WebSocket that has joined Socket.IO namespace "/": ws.socketId is the CONNECT reply's sid. */
export async function sioWs(server, opts = {}) {
  const ws = await engineWs(server, opts);
  await ws.text("40");
  const reply = await ws.nextText();
  const m = /^40(\{.*\})$/.exec(reply);
  if (!m) throw new Error(`expected 40{"sid":...}, got ${JSON.stringify(reply.slice(0, 200))}`);
  ws.socketId = JSON.parse(m[1]).sid;
  return ws;
}

/**
 * Sends `42<id>["echo-ack",token]` on namespace "/" and waits for its ack `43<id>[token]`: every
 * packet sent before it on this connection has been handled (one connection is read in order).
 */
export async function sioSync(ws, id = 9999, { timeout = 30_000 } = {}) {
  const token = `sync-${id}`;
  await ws.text(`42${id}["echo-ack","${token}"]`);
  return ws.expectText(`43${id}["${token}"]`, { timeout });
}

/** The placeholder object of attachment `num`, keys in socket.io-parser's order. */
export function placeholder(num) {
  return `{"_placeholder":true,"num":${num}}`;
}
