// Class 7 (issue 11, "also to cover"): WebSocket fragmentation.
// - Thousands of empty continuation frames inside one text message: an empty fragment costs
//   nothing to keep. Swept over 10,000, 100,000 and 1,000,000 empty continuations (6 bytes each);
//   the message they belong to ("4" ... "hi") must come back from the engine echo server.
//   Bound: growth <= 8 MiB + 1 x bytes sent.
// - A control frame split across reads, between the fragments of a message: each ping is written
//   one byte at a time (a separate TCP segment each: no delay, a 1 ms timer between bytes), and
//   must get its pong with its payload before the next; then the message completes and comes
//   back whole. Swept over 1, 10 and 100 split pings. Bound: growth <= 8 MiB + 16 x bytes sent.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { hostileSweep, sweep } from "./lib/sweep.mjs";
import { engineWs } from "./lib/engine.mjs";
import { frame, OP } from "./lib/wire.mjs";

function bytewise(conn, bytes) {
  return (async () => {
    for (const b of bytes) {
      await conn.write(Buffer.from([b]));
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
}

describe("7. WebSocket fragments", () => {
  hostileSweep({
    name: "7a. empty continuation frames",
    kind: "engine",
    points: sweep(10_000, "continuations"),
    bound: { k: 1, constMiB: 8 },
    attack: async (server, { n }) => {
      const ws = await engineWs(server);
      const empty = frame(OP.cont, Buffer.alloc(0), { fin: false });
      const per = 10_000;
      const block = Buffer.concat(new Array(per).fill(empty));
      const chunks = [frame(OP.text, "4", { fin: false })];
      for (let left = n; left > 0; left -= per) chunks.push(left >= per ? block : block.subarray(0, left * empty.length));
      chunks.push(frame(OP.cont, "hi", { fin: true }));
      const bytesSent = chunks.reduce((s, c) => s + c.length, 0);
      try {
        await ws.conn.writeStream(chunks, { highWater: 16 * 1024 * 1024 });
        const echoed = await ws.nextText({ timeout: 60_000 });
        assert.equal(echoed, "4hi");
        return { bytesSent, outcome: "message echoed" };
      } catch (err) {
        throw Object.assign(err, { bytesSent });
      } finally {
        ws.destroy();
      }
    },
  });

  hostileSweep({
    name: "7b. pings split byte by byte between fragments",
    kind: "engine",
    points: sweep(1, "split pings"),
    bound: { k: 16, constMiB: 8 },
    attack: async (server, { n }) => {
      const ws = await engineWs(server);
      let bytesSent = 0;
      const send = async (bytes, split) => {
        bytesSent += bytes.length;
        if (split) await bytewise(ws.conn, bytes);
        else await ws.conn.write(bytes);
      };
      try {
        await send(frame(OP.text, "4part", { fin: false }));
        for (let i = 0; i < n; ++i) {
          const payload = `ping-${i}`;
          await send(frame(OP.ping, payload), true);
          const f = await ws.nextFrame({ timeout: 10_000 });
          assert.equal(f.opcode, OP.pong, `frame ${f.opcode} instead of the pong of ping ${i}`);
          assert.equal(f.payload.toString(), payload);
          await send(frame(OP.cont, `-${i}`, { fin: false }));
        }
        await send(frame(OP.cont, "-end", { fin: true }));
        const expected = "4part" + Array.from({ length: n }, (_, i) => `-${i}`).join("") + "-end";
        assert.equal(await ws.nextText({ timeout: 10_000 }), expected);
        return { bytesSent, outcome: `${n} pongs, message echoed whole` };
      } catch (err) {
        throw Object.assign(err, { bytesSent });
      } finally {
        ws.destroy();
      }
    },
  });
});
