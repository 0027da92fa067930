// PROTOCOL.md §6 — heartbeat (v4: the server pings). Timings are measured with timestamps
// against the configured intervals; the tolerances allow for a loaded 2-core machine.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { rule, useServer } from "../lib/harness.mjs";
import { engineWs } from "../lib/ws.mjs";
import { handshake, poll, startPoll, postOk, post, expectSidGone, sleep } from "../lib/engine.mjs";

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
const EARLY = 60; // a timer may fire this much "early" as seen from the client (clock/observation skew)
const LATE = 350; // scheduling slack on a busy machine

function assertWithin(actual, expected, what) {
  assert.ok(
    actual >= expected - EARLY && actual <= expected + LATE,
    `${what}: ${actual} ms, expected ${expected} ms (-${EARLY}/+${LATE})`,
  );
}

async function wsSession(server) {
  const ws = engineWs(server);
  await ws.opened;
  const openFrame = await ws.next();
  const open = JSON.parse(openFrame.data.slice(1));
  return { ws, sid: open.sid, openedAt: openFrame.at };
}

describe(`§6 heartbeat (--ping-interval ${PING_INTERVAL} --ping-timeout ${PING_TIMEOUT})`, () => {
  const server = useServer(["--ping-interval", String(PING_INTERVAL), "--ping-timeout", String(PING_TIMEOUT)]);

  rule("6.1 polling: the server pings every pingInterval after the open and after each pong; a client answering stays alive", async () => {
    const { sid, openedAt } = await handshake(server);
    let from = openedAt;
    for (let i = 0; i < 4; i++) {
      const res = await poll(server, sid, { timeout: 3000 });
      assert.equal(res.status, 200);
      assert.equal(res.text, "2", `ping #${i}`);
      assertWithin(res.at - from, PING_INTERVAL, `ping #${i} after ${i === 0 ? "the open" : "the pong"}`);
      await postOk(server, sid, "3");
      from = Date.now();
    }
    // alive after 4 intervals (> pingInterval + pingTimeout in total)
    await postOk(server, sid, "4still-alive");
    const res = await poll(server, sid);
    assert.equal(res.text, "4still-alive");
  });

  rule("6.1 WebSocket: pings every pingInterval; a client answering stays alive over several intervals", async () => {
    const { ws, openedAt } = await wsSession(server);
    let from = openedAt;
    for (let i = 0; i < 4; i++) {
      const f = await ws.next(3000);
      assert.equal(f.data, "2", `ping #${i}`);
      assertWithin(f.at - from, PING_INTERVAL, `ping #${i}`);
      await ws.send("3");
      from = Date.now();
    }
    assert.ok(ws.isOpen);
    await ws.send("4still-alive");
    assert.equal(await ws.nextText(), "4still-alive");
  });

  rule("6.2 pingTimeout starts when the ping is queued: with no GET pending, a GET at 600 ms after the handshake gets 400", async () => {
    const { sid, openedAt } = await handshake(server);
    // ping queued at ~300 ms, never delivered; the session must be gone at ~500 ms
    await sleep(openedAt + PING_INTERVAL + PING_TIMEOUT + 100 - Date.now());
    await expectSidGone(server, sid, { timeout: 500 });
  });

  rule("6.2 polling: a client that does not answer the ping is closed pingTimeout after it, not before", async () => {
    const { sid } = await handshake(server);
    const ping = await poll(server, sid, { timeout: 3000 });
    assert.equal(ping.text, "2");
    const pingAt = ping.at;
    const held = startPoll(server, sid, { timeout: 3000 });
    // the held GET ends because the session closes: it is answered with the close packet `1`
    const res = await held.response;
    assert.equal(`${res.status} ${res.text}`, "200 1", `held GET got HTTP ${res.status} ${JSON.stringify(res.text)}`);
    assertWithin(res.at - pingAt, PING_TIMEOUT, "session closed after the unanswered ping");
    await expectSidGone(server, sid);
  });

  rule("6.2 WebSocket: a client that does not answer the ping is closed pingTimeout after it", async () => {
    const { ws, sid, openedAt } = await wsSession(server);
    const ping = await ws.next(3000);
    assert.equal(ping.data, "2");
    assertWithin(ping.at - openedAt, PING_INTERVAL, "ping");
    const closed = await ws.waitClosed(3000);
    assertWithin(closed.at - ping.at, PING_TIMEOUT, "close after the unanswered ping");
    await expectSidGone(server, sid);
  });
});

describe("§6 heartbeat direction (default intervals)", () => {
  const server = useServer();

  rule("6.3 a ping 2 from the client closes the session (polling)", async () => {
    const { sid } = await handshake(server);
    const res = await post(server, sid, "2");
    assert.equal(`${res.status} ${res.text}`, "200 ok", `POST got HTTP ${res.status} ${res.text}`);
    await expectSidGone(server, sid);
  });

  rule("6.3 a ping 2 from the client closes the session (WebSocket)", async () => {
    const { ws, sid } = await wsSession(server);
    const sentAt = Date.now();
    await ws.send("2");
    const closed = await ws.waitClosed(2000);
    assert.ok(closed.at - sentAt < 1000);
    assert.ok(!ws.frames.some((f) => f.data === "3"), "the server must not answer a client ping with a pong");
    await expectSidGone(server, sid);
  });
});

describe("§6 pong wait extension (--ping-interval 300 --ping-timeout 400)", () => {
  const server = useServer(["--ping-interval", "300", "--ping-timeout", "400"]);

  rule("6.4 any packet received while a pong is awaited extends the pingTimeout once", async () => {
    const { ws } = await wsSession(server);
    const ping = await ws.next(3000);
    assert.equal(ping.data, "2");
    // t+300: a message refreshes the 400 ms timeout (close due at t+700 instead of t+400);
    // t+600: a second message must not refresh it again (that would move it to t+1000)
    await sleep(ping.at + 300 - Date.now());
    await ws.send("4first");
    await sleep(ping.at + 600 - Date.now());
    if (ws.isOpen) await ws.send("4second").catch(() => {});
    const closed = await ws.waitClosed(3000);
    const dt = closed.at - ping.at;
    assert.ok(dt >= 700 - EARLY && dt <= 1000 - 50, `closed ${dt} ms after the ping; expected ~700 (extended once)`);
  });
});
