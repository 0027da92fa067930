// Robustness (DESIGN.md §4): bad input never crashes, hangs, or disturbs other sessions.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { rule, useServer } from "../lib/harness.mjs";
import { engineWs } from "../lib/ws.mjs";
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

/** Send raw bytes; the server must answer with an error status or close the connection, within the timeout. */
async function assertRejected(server, raw, what, { halfClose = false } = {}) {
  const h = rawRequest(server, raw, { timeout: 5000, halfClose });
  const res = await settle(h.response).catch((err) => {
    throw new Error(`${what}: ${err.message}`);
  });
  if (!res.noResponse) assert.ok(res.status >= 400 && res.status < 600, `${what}: HTTP ${res.status}`);
}

describe("robustness", () => {
  const server = useServer(["--max-payload", "100000"]);

  rule("R.1 garbage requests get an error or a closed connection and the server keeps serving", async () => {
    const q = engineQuery();
    const cases = [
      // complete heads (terminated by an empty line) so that any parser can judge them
      ["random bytes", Buffer.concat([Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 73 + 19) % 256)), Buffer.from("\r\n\r\n")])],
      ["not HTTP", "HELLO WORLD\r\n\r\n"],
      ["bad version", `GET ${server.path}?${q} HTTP/9.9\r\nHost: x\r\n\r\n`],
      ["header without colon", `GET ${server.path}?${q} HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n`],
      ["negative content-length", `POST ${server.path}?${q} HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n`],
      ["two content-lengths", `POST ${server.path}?${q} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n4ab`],
      ["NUL in path", `GET ${server.path}\0?${q} HTTP/1.1\r\nHost: x\r\n\r\n`],
      ["bare LF line endings then EOF", `GET ${server.path}?${q}&sid=zzz HTTP/1.1\nHost: x\n\n`, { halfClose: true }],
      ["truncated head then EOF", `GET ${server.path}?${q} HTTP/1.1\r\nHost: x\r\nX-Cut: abc`, { halfClose: true }],
      ["truncated body then EOF", `POST ${server.path}?${q}&sid=zzz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n4abc`, { halfClose: true }],
      ["bad chunked body", `POST ${server.path}?${q}&sid=zzz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n0\r\n\r\n`],
      ["bogus upgrade", `GET ${server.path}?${engineQuery({ transport: "websocket" })} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`],
    ];
    for (const [what, raw, opts] of cases) await assertRejected(server, raw, what, opts);
    await assertServing(server);
  });

  rule("R.2 huge headers are refused without harm", async () => {
    const big = "a".repeat(100 * 1024);
    await assertRejected(server, buildRequest({ path: `${server.path}?${engineQuery()}`, headers: { "X-Huge": big } }), "one 100 kB header");
    const many = Array.from({ length: 2000 }, (_, i) => [`X-H${i}`, "v".repeat(50)]);
    await assertRejected(server, buildRequest({ path: `${server.path}?${engineQuery()}`, headers: many }), "2000 headers");
    await assertRejected(server, buildRequest({ path: `${server.path}?${engineQuery()}&pad=${"p".repeat(100 * 1024)}` }), "100 kB URL");
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
