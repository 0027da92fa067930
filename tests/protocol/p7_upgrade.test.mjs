// PROTOCOL.md §7 — upgrade polling → WebSocket.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { rule, useServer } from "../lib/harness.mjs";
import { engineWs, withTimeout } from "../lib/ws.mjs";
import { request } from "../lib/http.mjs";
import {
  handshake,
  pendingPoll,
  poll,
  postOk,
  engineQuery,
  assertEngineError,
  echoPolling,
} from "../lib/engine.mjs";

const PROMPT_MS = 1000; // "promptly": well under any ping interval used here (25 s)

/** WebSocket with the sid of a polling session, probed: returns after 3probe. */
async function probe(server, sid) {
  const ws = engineWs(server, { sid });
  await ws.opened;
  await ws.send("2probe");
  const f = await ws.next();
  assert.equal(f.data, "3probe");
  return ws;
}

/**
 * A WebSocket with a sid that cannot take it, as the reference treats it: the handshake completes
 * (101), then the server closes the WebSocket at once with a close frame without a status code
 * (1005), sending no packet, not even an answer to 2probe.
 */
async function assertWsRejected(ws, what) {
  await ws.opened;
  await ws.send("2probe").catch(() => {}); // the close may already be under way
  const closed = await ws.waitClosed(2000).catch((err) => {
    throw new Error(`${what}: the WebSocket was accepted and stayed open (${err.message}); frames ${JSON.stringify(ws.frames.map((f) => f.data))}`);
  });
  assert.deepEqual({ frames: ws.frames.map((f) => f.data), code: closed.code }, { frames: [], code: 1005 }, what);
}

describe("§7 upgrade polling → WebSocket", () => {
  const server = useServer();

  rule("7.1 a WebSocket with the sid of a polling session answers 2probe with 3probe", async () => {
    const { sid } = await handshake(server);
    const ws = engineWs(server, { sid });
    await ws.opened;
    await ws.send("2probe");
    const f = await ws.next();
    assert.deepEqual([f.binary, f.data], [false, "3probe"]);
    assert.equal(ws.frames.length, 1, "no open packet on an upgrading WebSocket");
  });

  rule("7.2 after the probe, the pending GET is answered with 6 promptly", async () => {
    const { sid } = await handshake(server);
    const get = await pendingPoll(server, sid);
    const ws = await probe(server, sid);
    const probedAt = ws.frames[0].at;
    const res = await withTimeout(get.response, PROMPT_MS, "pending GET not released by a noop");
    assert.equal(res.status, 200);
    assert.equal(res.text, "6");
    assert.ok(res.at - probedAt < PROMPT_MS);
  });

  rule("7.2 after the probe, the next GET is answered with 6 promptly", async () => {
    const { sid } = await handshake(server);
    const ws = await probe(server, sid);
    const t0 = Date.now();
    const res = await poll(server, sid, { timeout: PROMPT_MS });
    assert.equal(res.status, 200);
    assert.equal(res.text, "6");
    assert.ok(res.at - t0 < PROMPT_MS);
    // and the one after it too, as long as the upgrade is not complete
    const again = await poll(server, sid, { timeout: PROMPT_MS });
    assert.equal(again.text, "6");
    ws.terminate();
  });

  rule("7.3 upgrade 5 switches transports and packets queued meanwhile are flushed on the WebSocket", async () => {
    const { sid } = await handshake(server);
    const get = await pendingPoll(server, sid);
    const ws = await probe(server, sid);
    assert.equal((await get.response).text, "6");
    // no GET pending now: the echoes of these are queued on the session
    await postOk(server, sid, "4queued-1");
    await postOk(server, sid, "bAQI=");
    await ws.send("5");
    const a = await ws.next();
    const b = await ws.next();
    assert.deepEqual([a.binary, a.data], [false, "4queued-1"]);
    assert.equal(b.binary, true);
    assert.deepEqual([...b.data], [1, 2]);
    // new packets go to the WebSocket
    await ws.send("4on-ws");
    assert.equal((await ws.next()).data, "4on-ws");
    await ws.send(Buffer.from([9, 8, 7]));
    const bin = await ws.next();
    assert.ok(bin.binary && bin.data.equals(Buffer.from([9, 8, 7])));
  });

  rule("7.4 after the upgrade, a polling GET or POST with the sid gets 400 code 3", async () => {
    const { sid } = await handshake(server);
    const ws = await probe(server, sid);
    await ws.send("5");
    await ws.send("4sync");
    assert.equal((await ws.next()).data, "4sync"); // the server has processed `5`
    assertEngineError(await request(server, { query: engineQuery({ sid }) }), 3);
    assertEngineError(await request(server, { method: "POST", query: engineQuery({ sid }), body: "4x" }), 3);
    await ws.send("4still-fine");
    assert.equal((await ws.next()).data, "4still-fine");
  });

  rule("7.4 after the upgrade, a second WebSocket with the sid is closed", async () => {
    const { sid } = await handshake(server);
    const ws = await probe(server, sid);
    await ws.send("5");
    await ws.send("4sync");
    assert.equal((await ws.next()).data, "4sync");
    const second = engineWs(server, { sid });
    await assertWsRejected(second, "second WebSocket after the upgrade");
    await ws.send("4first-still-works");
    assert.equal((await ws.next()).data, "4first-still-works");
  });

  rule("7.5 during the upgrade, a packet other than 2probe/5 aborts it and closes the new WebSocket", async () => {
    const { sid } = await handshake(server);
    const ws = await probe(server, sid);
    await ws.send("4not-allowed-here");
    await ws.waitClosed(2000);
    assert.ok(!ws.frames.some((f) => f.data === "4not-allowed-here"), "the packet must not be processed as a message");
    // the session goes on over polling (noops from the aborted upgrade may still arrive)
    await echoPolling(server, sid, "polling-goes-on");
  });

  rule("7.6 a second upgrade attempt while one is running is closed", async () => {
    const { sid } = await handshake(server);
    const first = await probe(server, sid);
    const second = engineWs(server, { sid });
    await assertWsRejected(second, "concurrent upgrade");
    // the first upgrade can still complete
    await first.send("5");
    await first.send("4done");
    assert.equal((await first.next()).data, "4done");
  });

  rule("7.6 a WebSocket carrying the sid of a WebSocket-only session is closed", async () => {
    const ws = engineWs(server);
    await ws.opened;
    const { sid } = JSON.parse((await ws.nextText()).slice(1));
    const intruder = engineWs(server, { sid });
    await assertWsRejected(intruder, "WebSocket with the sid of a WebSocket session");
    await ws.send("4original-still-works");
    assert.equal((await ws.next()).data, "4original-still-works");
  });
});

describe("§7 upgrade timeout (--upgrade-timeout 300)", () => {
  const server = useServer(["--upgrade-timeout", "300"]);

  rule("7.5 without 5 within upgradeTimeout the new WebSocket is closed", async () => {
    const { sid } = await handshake(server);
    const ws = engineWs(server, { sid });
    await ws.opened;
    const openedAt = ws.openedAt;
    await ws.send("2probe");
    assert.equal((await ws.next()).data, "3probe");
    const closed = await ws.waitClosed(3000);
    const dt = closed.at - openedAt;
    assert.ok(dt >= 300 - 60 && dt <= 300 + 700, `closed ${dt} ms after the WebSocket opened (upgradeTimeout 300)`);
    // the polling session is still there
    await echoPolling(server, sid, "after-failed-upgrade");
  });
});

