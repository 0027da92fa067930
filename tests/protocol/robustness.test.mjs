// Robustness (DESIGN.md §4): bad input never crashes, hangs, or disturbs other sessions.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { rule, useServer } from "../lib/harness.mjs";
import { engineWs, withTimeout } from "../lib/ws.mjs";
import { rawRequest, buildRequest, settle } from "../lib/http.mjs";
import { handshake, engineQuery, echoPolling, pendingPoll, post, postOk, poll, expectSidGone, SEP } from "../lib/engine.mjs";

async function wsEcho(server, msg = "4ping-pong") {
  const ws = engineWs(server);
  await ws.opened;
  await ws.nextText();
  await ws.send(msg);
  assert.equal(await ws.nextText(), msg);
  ws.close();
}

/** The server still serves new polling and WebSocket sessions. */
async function assertServing(server) {
  const { sid } = await handshake(server);
  await echoPolling(server, sid, "serving");
  await wsEcho(server);
  assert.ok(server.alive, "the server process died");
}

/**
 * `bad` must be answered with exactly HTTP `status`, after which the server closes the connection;
 * `good`, when given, is the same request without the defect and must succeed (HTTP 200), so that
 * only the defect can explain the refusal. Both are raw bytes.
 */
async function assertRefused(server, { what, good, bad, status = 400, halfClose = false }) {
  if (good !== undefined) {
    const res = await settle(rawRequest(server, good, { timeout: 5000 }).response);
    assert.equal(res.status, 200, `${what}, without the defect: HTTP ${res.status} ${JSON.stringify(res.text?.slice(0, 100))}`);
  }
  const h = rawRequest(server, bad, { timeout: 5000, halfClose, keepOpenAfterResponse: true });
  const res = await settle(h.response).catch((err) => {
    throw new Error(`${what}: ${err.message}`);
  });
  assert.ok(!res.noResponse, `${what}: the connection was closed without a response`);
  assert.equal(res.status, status, `${what}: HTTP ${res.status} ${JSON.stringify(res.text.slice(0, 100))}`);
  await withTimeout(h.closed, 2000, `${what}: the server did not close the connection after the ${status}`);
}

/** A GET handshake with the given request line version and extra header lines (each ending in CRLF). */
const handshakeRaw = (server, { version = "1.1", headers = "", query = engineQuery() } = {}) =>
  `GET ${server.path}?${query} HTTP/${version}\r\nHost: 127.0.0.1\r\n${headers}\r\n`;

describe("robustness", () => {
  const server = useServer(["--max-payload", "100000"]);

  rule("R.1 garbage requests get 400 and a closed connection, and the server keeps serving", async () => {
    const good = handshakeRaw(server);
    const cases = [
      // complete heads (terminated by an empty line) so that any parser can judge them
      { what: "random bytes", bad: Buffer.concat([Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 73 + 19) % 256)), Buffer.from("\r\n\r\n")]) },
      { what: "not HTTP", bad: "HELLO WORLD\r\n\r\n" },
      { what: "a malformed HTTP version", good, bad: handshakeRaw(server, { version: "one.one" }) },
      { what: "a header line without a colon", good, bad: handshakeRaw(server, { headers: "this is not a header\r\n" }) },
      {
        what: "a WebSocket upgrade without Sec-WebSocket-Key",
        bad: handshakeRaw(server, { query: engineQuery({ transport: "websocket" }), headers: "Upgrade: websocket\r\nConnection: Upgrade\r\n" }),
      },
    ];
    for (const c of cases) await assertRefused(server, c);
    // the body of a live session's POST (a POST without a sid would be refused by the engine anyway)
    const { sid } = await handshake(server);
    const post = (rest) => `POST ${server.path}?${engineQuery({ sid })} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n${rest}`;
    await assertRefused(server, { what: "a chunk size that is not hexadecimal", good: post("4\r\n4abc\r\n0\r\n\r\n"), bad: post("ZZZ\r\nxx\r\n0\r\n\r\n") });
    await assertServing(server);
  });

  rule("R.1 a request cut short by EOF (in the head or in the body) gets 400 before the close", async () => {
    await assertRefused(server, {
      what: "a head cut short by EOF",
      good: handshakeRaw(server, { headers: "X-Cut: abc\r\n" }),
      bad: handshakeRaw(server, { headers: "X-Cut: abc\r\n" }).slice(0, -4),
      halfClose: true,
    });
    const { sid } = await handshake(server);
    const post = (rest) => `POST ${server.path}?${engineQuery({ sid })} HTTP/1.1\r\nHost: 127.0.0.1\r\n${rest}`;
    await assertRefused(server, { what: "a body cut short by EOF", good: post("Content-Length: 4\r\n\r\n4abc"), bad: post("Content-Length: 100\r\n\r\n4abc"), halfClose: true });
    await assertServing(server);
  });

  rule("R.2 huge heads are refused with 431 and a closed connection, without harm", async () => {
    const good = handshakeRaw(server, { headers: "X-Small: a\r\n" });
    await assertRefused(server, { what: "one 100 kB header", good, status: 431, bad: handshakeRaw(server, { headers: `X-Huge: ${"a".repeat(100 * 1024)}\r\n` }) });
    const many = Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${"v".repeat(50)}\r\n`).join("");
    await assertRefused(server, { what: "2000 headers", good, status: 431, bad: handshakeRaw(server, { headers: many }) });
    const longUrl = `${engineQuery()}&pad=${"p".repeat(100 * 1024)}`;
    await assertRefused(server, { what: "100 kB URL", good, status: 431, bad: handshakeRaw(server, { query: longUrl }) });
    await assertServing(server);
  });

  rule("R.3 incomplete requests (slowloris) do not block other sessions", async () => {
    const slow = [];
    for (let i = 0; i < 8; i++) {
      const h = rawRequest(server, `GET ${server.path}?${engineQuery()} HTTP/1.1\r\nHost: x\r\nX-Slow: `, { timeout: 0 });
      slow.push(h);
    }
    await Promise.all(slow.map((h) => h.written));
    const trickle = setInterval(() => slow.forEach((h) => h.socket.destroyed || h.socket.write("a")), 50);
    try {
      const t0 = Date.now();
      await assertServing(server);
      const { sid } = await handshake(server);
      await echoPolling(server, sid, "beside-slowloris");
      assert.ok(Date.now() - t0 < 3000, `other sessions took ${Date.now() - t0} ms`);
      // a POST whose body never completes does not block the GET of its own session
      await postOk(server, sid, "4queued-before-partial-post");
      const partial = rawRequest(server, buildRequest({ method: "POST", path: `${server.path}?${engineQuery({ sid })}`, headers: { "Content-Length": "50" }, body: "4abc", contentLength: false }), { timeout: 0 });
      await partial.written;
      const g = await poll(server, sid, { timeout: 2000 });
      assert.equal(g.text, "4queued-before-partial-post");
      await wsEcho(server, "4beside-partial-post");
      partial.abort();
    } finally {
      clearInterval(trickle);
      slow.forEach((h) => h.abort());
    }
  });

  rule("R.4 many concurrent sessions (polling and WebSocket) all echo correctly", async () => {
    const N = 60;
    const polling = Array.from({ length: N }, async (_, i) => {
      const { sid } = await handshake(server);
      await echoPolling(server, sid, `polling-${i}`);
      await echoPolling(server, sid, `polling-${i}-again`);
      return sid;
    });
    const websockets = Array.from({ length: N }, async (_, i) => {
      const ws = engineWs(server);
      await ws.opened;
      await ws.nextText();
      await ws.send(`4ws-${i}`);
      assert.equal(await ws.nextText(), `4ws-${i}`);
      await ws.send(Buffer.from([i]));
      const f = await ws.next();
      assert.ok(f.binary && f.data[0] === i);
      return ws;
    });
    const sids = await Promise.all(polling);
    const sockets = await Promise.all(websockets);
    assert.equal(new Set(sids).size, N);
    sockets.forEach((ws) => ws.close());
  });

  rule("R.5 other sessions keep working while one misbehaves", async () => {
    // bystanders: a polling session with a held GET and a WebSocket session
    const { sid: good } = await handshake(server);
    const held = await pendingPoll(server, good);
    const ws = engineWs(server);
    await ws.opened;
    await ws.nextText();

    // the misbehaving sessions
    for (let i = 0; i < 3; i++) {
      const { sid: bad } = await handshake(server);
      const g1 = await pendingPoll(server, bad);
      await settle(poll(server, bad)); // duplicate GET
      await settle(g1.response);
      const { sid: bad2 } = await handshake(server);
      await settle(post(server, bad2, "4" + "x".repeat(200_000))); // oversize
      await settle(post(server, bad2, "\u0000garbage" + SEP + "zz")); // parse error
      await expectSidGone(server, bad2);
      const badWs = engineWs(server);
      await badWs.opened;
      await badWs.send("this is not a packet");
      await badWs.waitClosed(2000);
    }

    // the bystanders are untouched
    await postOk(server, good, "4bystander");
    assert.equal((await held.response).text, "4bystander");
    await ws.send("4ws-bystander");
    assert.equal(await ws.nextText(), "4ws-bystander");
    await assertServing(server);
  });
});
