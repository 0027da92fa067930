// Class 11 (issue 11, back-pressure): a Socket.IO client that never reads while the server sends
// to it. What the server queues for it is bounded (max_buffered_bytes, 16 MiB by default); past
// that the client is disconnected, with a reason its handlers see. Below it, nothing is lost.
// A raw WebSocket client joins room "slow" and stops reading; a normal client (socket.io-client,
// also in "observers" to see the fixture's peer-disconnect) sends `to-room("slow", "blob", i,
// <64 kB>)` 8, 80 and 800 times (0.5 MB, 5 MB, 50 MB), then an echo-ack whose ack marks the end
// of their handling.
// - 0.5 MB and 5 MB (under 16 MiB): the slow client reads again and gets every blob in order;
// - 50 MB: the server disconnects the slow client (the observer gets peer-disconnect for it).
//
// Bound: growth <= 40 MiB + 0 x bytes sent (two max_buffered_bytes of 16 MiB and 8 MiB): what a
// slow client costs is capped, however much is sent to it.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { io } from "socket.io-client";
import { hostileSweep } from "./lib/sweep.mjs";
import { sioWs } from "./lib/engine.mjs";

const BLOB = "x".repeat(64 * 1024);
const MAX_BUFFERED = 16 * 1024 * 1024;
const POINTS = [8, 80, 800].map((n, i) => ({ label: `x${10 ** i} (${n} x 64 KiB to the slow client)`, n }));

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

describe("11. slow readers", () => {
  hostileSweep({
    name: "11. a client that stops reading while it is sent to",
    kind: "sio",
    points: POINTS,
    bound: { k: 0, constMiB: 40 },
    attack: async (server, { n }) => {
      const slow = await sioWs(server);
      await slow.text(`420["join","slow"]`);
      const joined = await slow.nextText();
      assert.match(joined, /^430\[\[.*"slow".*\]\]$/, "the join's ack lists the room");
      slow.pause();

      const sender = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"] });
      const bytesSent = n * (BLOB.length + 30);
      try {
        await withTimeout(new Promise((resolve, reject) => {
          sender.once("connect", resolve);
          sender.once("connect_error", reject);
        }), 10_000, "sender connect");
        await withTimeout(sender.emitWithAck("join", "observers"), 10_000, "sender join");
        const gone = new Promise((resolve) => {
          sender.on("peer-disconnect", (info) => info.id === slow.socketId && resolve(info));
        });
        for (let i = 0; i < n; ++i) sender.emit("to-room", "slow", "blob", i, BLOB);
        await withTimeout(sender.emitWithAck("echo-ack", "sent"), 60_000, "the ack after the blobs");

        if (n * BLOB.length > 2 * MAX_BUFFERED) {
          const info = await withTimeout(gone, 30_000, "peer-disconnect of the slow client");
          slow.resume();
          assert.ok(await slow.conn.waitClosed(30_000), "the slow client's connection stayed open");
          return { bytesSent, outcome: `slow client disconnected (${info.reason})` };
        }
        sender.emit("to-room", "slow", "marker");
        slow.resume();
        for (let i = 0; i < n; ++i) {
          const msg = await slow.nextText({ timeout: 30_000 });
          assert.equal(msg, `42["blob",${i},"${BLOB}"]`, `blob ${i} of ${n}`);
        }
        assert.equal(await slow.nextText({ timeout: 30_000 }), `42["marker"]`);
        return { bytesSent, outcome: `all ${n} received after reading again` };
      } catch (err) {
        throw Object.assign(err, { bytesSent });
      } finally {
        sender.disconnect();
        slow.destroy();
      }
    },
  });
});
