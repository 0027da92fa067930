// PROTOCOL.md §8 — close.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { rule, useServer } from "../lib/harness.mjs";
import { engineWs } from "../lib/ws.mjs";
import { handshake, pendingPoll, poll, post, postOk, expectSidGone, decodePayload } from "../lib/engine.mjs";

async function wsSession(server) {
  const ws = engineWs(server);
  await ws.opened;
  const open = JSON.parse((await ws.nextText()).slice(1));
  return { ws, sid: open.sid };
}

describe("§8 close", () => {
  const server = useServer();

  rule("8.1 client close 1 over polling with a GET pending: the GET gets 6, the POST gets ok, then the sid gets 400", async () => {
    const { sid } = await handshake(server);
    const get = await pendingPoll(server, sid);
    const p = await post(server, sid, "1");
    assert.equal(p.status, 200);
    assert.equal(p.text, "ok");
    const g = await get.response;
    assert.equal(g.status, 200);
    assert.equal(g.text, "6");
    await expectSidGone(server, sid);
  });

  rule("8.1 client close 1 over polling without a GET pending: the POST gets ok, then the sid gets 400", async () => {
    const { sid } = await handshake(server);
    await postOk(server, sid, "1");
    await expectSidGone(server, sid);
  });

  rule("8.2 client close packet 1 over WebSocket closes the socket at once", async () => {
    const { ws, sid } = await wsSession(server);
    const sentAt = Date.now();
    await ws.send("1");
    const closed = await ws.waitClosed(1500);
    assert.ok(closed.at - sentAt < 1000, `closed after ${closed.at - sentAt} ms`);
    await expectSidGone(server, sid);
  });

  rule("8.3 server-initiated close over polling: the pending GET gets 1, then the sid is gone", async () => {
    const { sid } = await handshake(server);
    const get = await pendingPoll(server, sid);
    const p = await post(server, sid, "4server-close");
    assert.equal(p.status, 200);
    const g = await get.response;
    assert.equal(g.status, 200);
    assert.deepEqual(decodePayload(g.text).map((x) => x.raw), ["1"], `pending GET got ${JSON.stringify(g.text)}`);
    await expectSidGone(server, sid);
  });

  rule("8.3 server-initiated close over polling with no GET pending: the next GET gets 1, then the sid is gone", async () => {
    const { sid } = await handshake(server);
    await postOk(server, sid, "4server-close");
    const g = await poll(server, sid);
    assert.equal(g.status, 200, `GET after the server close got ${g.status} ${g.text}`);
    // the reference sends a noop before the close packet here; a noop carries nothing
    const raws = decodePayload(g.text)
      .map((x) => x.raw)
      .filter((r) => r !== "6");
    assert.deepEqual(raws, ["1"], `GET got ${JSON.stringify(g.text)}`);
    await expectSidGone(server, sid);
  });

  rule("8.3 server-initiated close over WebSocket: no 1 frame, the socket closes and the sid is gone", async () => {
    const { ws, sid } = await wsSession(server);
    await ws.send("4server-close");
    await ws.waitClosed(2000);
    const raws = ws.frames.slice(1).map((f) => f.data);
    assert.deepEqual(raws, []);
    await expectSidGone(server, sid);
  });

  rule("8.3 server-initiated close after an upgrade: no 1 frame on the WebSocket", async () => {
    const { sid } = await handshake(server);
    const ws = engineWs(server, { sid });
    await ws.opened;
    await ws.send("2probe");
    assert.equal((await ws.next()).data, "3probe");
    await ws.send("5");
    await ws.send("4server-close");
    await ws.waitClosed(2000);
    assert.deepEqual(ws.frames.slice(1).map((f) => f.data), []);
    await expectSidGone(server, sid);
  });
});
