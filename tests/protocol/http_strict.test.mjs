// Strict HTTP/1.1 (RFC 9112) on the engine path, and which methods the engine path takes.
//
// Every refusal here is checked on a request that would otherwise succeed: a POST with the sid of a
// live polling session (answered `200 ok`) or a GET handshake (answered with an open packet). Each
// case first sends the request without the defect and requires the success, then the defective
// one, so that only the HTTP-level defect can explain the 400. The outcome asserted is the one
// Node's llhttp gives the reference server: HTTP 400, then the connection is closed.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { rule, useServer } from "../lib/harness.mjs";
import { rawRequest, settle } from "../lib/http.mjs";
import { engineWs, withTimeout } from "../lib/ws.mjs";
import { handshake, engineQuery, postOk, poll, echoPolling, pollMessages } from "../lib/engine.mjs";

const CLOSE_WAIT_MS = 2000;
const HOST = "Host: 127.0.0.1\r\n";
const UPGRADE = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

/** Send `raw`; the answer must be exactly `status`, and the server must close the connection after it. */
async function assertAnsweredThenClosed(server, raw, what, status) {
  const h = rawRequest(server, raw, { timeout: 5000, keepOpenAfterResponse: true });
  const res = await settle(h.response);
  assert.ok(!res.noResponse, `${what}: the connection was closed without a response`);
  assert.equal(res.status, status, `${what}: HTTP ${res.status} ${JSON.stringify(res.text.slice(0, 100))}`);
  await withTimeout(h.closed, CLOSE_WAIT_MS, `${what}: the server did not close the connection after the ${status}`);
  return res;
}

/**
 * For each case `[what, build]`, `build(target)` makes the raw request for the request target
 * `target` (the engine path and the query of a fresh polling session). `build(target, false)` must
 * be the same request without the defect: it must get `200 ok`; `build(target)` must get a 400 and
 * a closed connection.
 */
async function assertPostDefects(server, cases) {
  for (const [what, build] of cases) {
    const { sid } = await handshake(server);
    const target = `${server.path}?${engineQuery({ sid })}`;
    const good = await settle(rawRequest(server, build(target, false), { timeout: 5000 }).response);
    assert.equal(`${good.status} ${good.text}`, "200 ok", `${what}, without the defect: HTTP ${good.status} ${JSON.stringify(good.text)}`);
    await assertAnsweredThenClosed(server, build(target, true), what, 400);
  }
}

/** A POST of the message `4abc` with the given header lines (each ending in CRLF) and body. */
const post = (target, headers, body = "4abc", version = "1.1") => `POST ${target} HTTP/${version}\r\n${headers}\r\n${body}`;
const CL = "Content-Length: 4\r\n";
const TE = "Transfer-Encoding: chunked\r\n";
const CHUNKED_BODY = "4\r\n4abc\r\n0\r\n\r\n";

describe("strict HTTP/1.1 (RFC 9112) on the engine path", () => {
  const server = useServer();

  rule("H.1 duplicate, differing or malformed Content-Length: 400, then the connection is closed", async () => {
    await assertPostDefects(server, [
      ["two equal Content-Lengths", (t, bad = true) => post(t, `${HOST}${CL}${bad ? CL : ""}`)],
      ["two differing Content-Lengths", (t, bad = true) => post(t, `${HOST}${CL}${bad ? "Content-Length: 5\r\n" : ""}`, bad ? "4abcd" : "4abc")],
      ["a Content-Length list", (t, bad = true) => post(t, `${HOST}Content-Length: ${bad ? "4, 4" : "4"}\r\n`)],
      ["a negative Content-Length", (t, bad = true) => post(t, `${HOST}Content-Length: ${bad ? "-4" : "4"}\r\n`)],
      ["a hexadecimal Content-Length", (t, bad = true) => post(t, `${HOST}Content-Length: ${bad ? "0x4" : "4"}\r\n`)],
    ]);
  });

  rule("H.2 Content-Length together with Transfer-Encoding: 400, then the connection is closed", async () => {
    await assertPostDefects(server, [
      ["Content-Length, then Transfer-Encoding", (t, bad = true) => post(t, `${HOST}${bad ? CL : ""}${TE}`, CHUNKED_BODY)],
      ["Transfer-Encoding, then Content-Length", (t, bad = true) => post(t, `${HOST}${TE}${bad ? CL : ""}`, CHUNKED_BODY)],
    ]);
  });

  rule("H.3 a Transfer-Encoding other than chunked: 400, then the connection is closed", async () => {
    await assertPostDefects(server, [
      ["gzip", (t, bad = true) => (bad ? post(t, `${HOST}Transfer-Encoding: gzip\r\n`) : post(t, `${HOST}${CL}`))],
      ["identity", (t, bad = true) => (bad ? post(t, `${HOST}Transfer-Encoding: identity\r\n`) : post(t, `${HOST}${CL}`))],
      ["chunked, chunked", (t, bad = true) => post(t, `${HOST}Transfer-Encoding: chunked${bad ? ", chunked" : ""}\r\n`, CHUNKED_BODY)],
      ["two Transfer-Encoding: chunked lines", (t, bad = true) => post(t, `${HOST}${TE}${bad ? TE : ""}`, CHUNKED_BODY)],
    ]);
  });

  rule("H.3 a Transfer-Encoding list ending in chunked (gzip, chunked): 400, then the connection is closed", async () => {
    await assertPostDefects(server, [
      ["gzip, chunked", (t, bad = true) => post(t, `${HOST}Transfer-Encoding: ${bad ? "gzip, " : ""}chunked\r\n`, CHUNKED_BODY)],
    ]);
  });

  rule("H.4 Transfer-Encoding on HTTP/1.0: 400, then the connection is closed", async () => {
    await assertPostDefects(server, [
      ["HTTP/1.0 with Transfer-Encoding: chunked", (t, bad = true) => (bad ? post(t, `${HOST}${TE}`, CHUNKED_BODY, "1.0") : post(t, `${HOST}${CL}`, "4abc", "1.0"))],
    ]);
  });

  rule("H.5 a bare LF, a bare CR or a control byte in the request line: 400, then the connection is closed", async () => {
    const line = (t, method, target, eol) => `${method} ${target} HTTP/1.1${eol}${HOST}${CL}\r\n4abc`;
    await assertPostDefects(server, [
      ["request line ended by a bare LF", (t, bad = true) => line(t, "POST", t, bad ? "\n" : "\r\n")],
      ["request line ended by a bare CR", (t, bad = true) => line(t, "POST", t, bad ? "\r" : "\r\n")],
      ["NUL in the request target", (t, bad = true) => line(t, "POST", bad ? t.replace("?", "\0?") : t, "\r\n")],
      ["0x01 in the query", (t, bad = true) => line(t, "POST", `${t}&x=${bad ? "\x01" : "1"}`, "\r\n")],
      ["DEL in the query", (t, bad = true) => line(t, "POST", `${t}&x=${bad ? "\x7f" : "1"}`, "\r\n")],
      ["0x01 in the method", (t, bad = true) => line(t, bad ? "PO\x01ST" : "POST", t, "\r\n")],
    ]);
  });

  rule("H.6 a bare LF, a bare CR or a control byte in a header line: 400, then the connection is closed", async () => {
    const withHeader = (t, header) => post(t, `${HOST}${header}${CL}`);
    await assertPostDefects(server, [
      ["header line ended by a bare LF", (t, bad = true) => withHeader(t, `X-A: a${bad ? "\n" : "\r\n"}`)],
      ["header line ended by a bare CR", (t, bad = true) => withHeader(t, `X-A: a${bad ? "\r" : "\r\n"}`)],
      ["head ended by a bare LF", (t, bad = true) => `POST ${t} HTTP/1.1\r\n${HOST}${CL}${bad ? "\n" : "\r\n"}4abc`],
      ["0x01 in a header value", (t, bad = true) => withHeader(t, `X-A: a${bad ? "\x01" : ""}b\r\n`)],
      ["NUL in a header value", (t, bad = true) => withHeader(t, `X-A: a${bad ? "\0" : ""}b\r\n`)],
      ["DEL in a header value", (t, bad = true) => withHeader(t, `X-A: a${bad ? "\x7f" : ""}b\r\n`)],
      ["0x01 in a header name", (t, bad = true) => withHeader(t, `X-${bad ? "\x01" : ""}A: ab\r\n`)],
      ["a space before the colon", (t, bad = true) => withHeader(t, `X-A${bad ? " " : ""}: ab\r\n`)],
      ["an obsolete line folding", (t, bad = true) => withHeader(t, `X-A: a${bad ? "\r\n" : ""} b\r\n`)],
    ]);
  });

  rule("H.7 a bare LF or a control byte in a chunk line: 400, then the connection is closed", async () => {
    const chunked = (t, body) => post(t, `${HOST}${TE}`, body);
    await assertPostDefects(server, [
      ["chunk size line ended by a bare LF", (t, bad = true) => chunked(t, `4${bad ? "\n" : "\r\n"}4abc\r\n0\r\n\r\n`)],
      ["chunk data ended by a bare LF", (t, bad = true) => chunked(t, `4\r\n4abc${bad ? "\n" : "\r\n"}0\r\n\r\n`)],
      ["last chunk line ended by a bare LF", (t, bad = true) => chunked(t, `4\r\n4abc\r\n0${bad ? "\n" : "\r\n"}\r\n`)],
      ["0x01 after the chunk size", (t, bad = true) => chunked(t, `4${bad ? "\x01" : ""}\r\n4abc\r\n0\r\n\r\n`)],
      ["0x01 in a chunk extension", (t, bad = true) => chunked(t, `4;a=${bad ? "\x01" : "b"}\r\n4abc\r\n0\r\n\r\n`)],
    ]);
  });

  rule("H.8 a bare LF or a control byte in a trailer: 400, then the connection is closed", async () => {
    const trailer = (t, lines) => post(t, `${HOST}${TE}`, `4\r\n4abc\r\n0\r\n${lines}`);
    await assertPostDefects(server, [
      ["trailer line ended by a bare LF", (t, bad = true) => trailer(t, `X-T: 1${bad ? "\n" : "\r\n"}\r\n`)],
      ["trailer section ended by a bare LF", (t, bad = true) => trailer(t, `X-T: 1\r\n${bad ? "\n" : "\r\n"}`)],
      ["0x01 in a trailer value", (t, bad = true) => trailer(t, `X-T: a${bad ? "\x01" : ""}b\r\n\r\n`)],
    ]);
  });

  rule("H.9 HTTP/1.1 without Host: 400, then the connection is closed", async () => {
    await assertPostDefects(server, [["no Host", (t, bad = true) => post(t, `${bad ? "" : HOST}${CL}`)]]);
  });

  rule("H.9 HTTP/1.1 with two Host lines: 400, then the connection is closed", async () => {
    await assertPostDefects(server, [
      ["the same Host twice", (t, bad = true) => post(t, `${HOST}${bad ? HOST : ""}${CL}`)],
      ["two different Hosts", (t, bad = true) => post(t, `${HOST}${bad ? "Host: example.com\r\n" : ""}${CL}`)],
    ]);
  });
});

/**
 * Write `first` and then a request that asks the server to close the connection (`Connection:
 * close`), in one go, and return everything the server sent until it closed: the answer to `first`
 * must be followed directly by the answer to the second request.
 */
async function pipelinedWithClose(server, first) {
  const second = `GET ${server.path}?${engineQuery({ sid: "pipelined-unknown-sid" })} HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`;
  const h = rawRequest(server, first + second, { timeout: 0, keepOpenAfterResponse: true });
  const chunks = [];
  h.socket.on("data", (d) => chunks.push(d));
  await withTimeout(h.closed, 5000, "the server did not close the connection after the Connection: close request");
  return Buffer.concat(chunks).toString("latin1");
}

/** Splits off the first response head (through the empty line) of `bytes`. */
function firstHead(bytes) {
  const end = bytes.indexOf("\r\n\r\n");
  assert.ok(end > 0, `no complete response head in ${JSON.stringify(bytes.slice(0, 300))}`);
  return { head: bytes.slice(0, end + 4), rest: bytes.slice(end + 4) };
}

describe("methods on the engine path", () => {
  const server = useServer();

  rule("M.1 HEAD handshake: the §2 status and headers of code 2, no body, no session", async () => {
    const bytes = await pipelinedWithClose(server, `HEAD ${server.path}?${engineQuery()} HTTP/1.1\r\n${HOST}\r\n`);
    const { head, rest } = firstHead(bytes);
    assert.match(head, /^HTTP\/1\.1 400 /, `HEAD got ${JSON.stringify(head)}`);
    assert.match(head, /\r\nContent-Type: application\/json\r\n/i, `HEAD got ${JSON.stringify(head)}`);
    // no body: the next bytes are the answer to the pipelined request (400, code 1)
    assert.match(rest, /^HTTP\/1\.1 400 /, `bytes after the HEAD's head: ${JSON.stringify(rest.slice(0, 200))}`);
    assert.match(rest, /\{"code":1,"message":"Session ID unknown"\}/);
  });

  rule("M.1 HEAD with an unknown sid or a bad query: the §2 status, no body", async () => {
    for (const q of [{ sid: "AAAAAAAAAAAAAAAAAAAA" }, { transport: "foo" }, { EIO: "3" }]) {
      const bytes = await pipelinedWithClose(server, `HEAD ${server.path}?${engineQuery(q)} HTTP/1.1\r\n${HOST}\r\n`);
      const { head, rest } = firstHead(bytes);
      assert.match(head, /^HTTP\/1\.1 400 /, `${JSON.stringify(q)}: HEAD got ${JSON.stringify(head)}`);
      assert.match(rest, /^HTTP\/1\.1 400 /, `${JSON.stringify(q)}: bytes after the HEAD's head: ${JSON.stringify(rest.slice(0, 200))}`);
    }
  });

  rule("M.1 HEAD with the sid of a polling session: 500 without a body, and the queued packets stay queued", async () => {
    const { sid } = await handshake(server);
    await postOk(server, sid, "4queued-before-head");
    const bytes = await pipelinedWithClose(server, `HEAD ${server.path}?${engineQuery({ sid })} HTTP/1.1\r\n${HOST}\r\n`);
    const { head, rest } = firstHead(bytes);
    assert.match(head, /^HTTP\/1\.1 500 /, `HEAD got ${JSON.stringify(head)}`);
    assert.match(rest, /^HTTP\/1\.1 400 /, `bytes after the HEAD's head: ${JSON.stringify(rest.slice(0, 200))}`);
    const res = await poll(server, sid);
    assert.equal(`${res.status} ${res.text}`, "200 4queued-before-head");
  });

  rule("M.2 only GET may upgrade: another method with Upgrade headers gets 400 Bad handshake method, then the connection is closed", async () => {
    for (const method of ["POST", "PUT", "HEAD"]) {
      const raw = `${method} ${server.path}?${engineQuery({ transport: "websocket" })} HTTP/1.1\r\n${HOST}${UPGRADE}${method === "POST" ? "Content-Length: 0\r\n" : ""}\r\n`;
      const res = await assertAnsweredThenClosed(server, raw, `${method} upgrade`, 400);
      if (method !== "HEAD") assert.equal(res.text, "Bad handshake method");
    }
  });

  rule("M.2 only GET may upgrade: a POST upgrade with the sid of a polling session gets 405, then the connection is closed", async () => {
    const { sid } = await handshake(server);
    const raw = `POST ${server.path}?${engineQuery({ transport: "websocket", sid })} HTTP/1.1\r\n${HOST}${UPGRADE}Content-Length: 0\r\n\r\n`;
    const res = await assertAnsweredThenClosed(server, raw, "POST upgrade with a sid", 405);
    assert.equal(res.text, "Invalid HTTP method");
    await echoPolling(server, sid, "still-polling");
  });

  rule("M.3 a WebSocket upgrade whose query says transport=polling is closed at once, with no packet", async () => {
    const ws = engineWs(server, { transport: "polling" });
    await ws.opened;
    const closed = await ws.waitClosed(CLOSE_WAIT_MS);
    assert.deepEqual({ frames: ws.frames.map((f) => f.data), code: closed.code }, { frames: [], code: 1005 });

    // with the sid of a polling session: no probe answer either, and the session goes on over polling
    const { sid } = await handshake(server);
    const withSid = engineWs(server, { transport: "polling", sid });
    await withSid.opened;
    await withSid.send("2probe").catch(() => {}); // the close may already be under way
    const closedWithSid = await withSid.waitClosed(CLOSE_WAIT_MS);
    assert.deepEqual({ frames: withSid.frames.map((f) => f.data), code: closedWithSid.code }, { frames: [], code: 1005 });
    await postOk(server, sid, "4after-refused-upgrade");
    assert.deepEqual((await pollMessages(server, sid)).map((p) => p.raw), ["4after-refused-upgrade"]);
  });
});
