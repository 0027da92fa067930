// Class 5 (issue 11, item 5): a WebSocket ping flood from a client that does not read. Each pong
// answered is output; queued, each cost about 70 bytes of memory while it was counted as 2, and
// the queue drained from the front of a vector (O(n) per pong). RFC 6455 §5.5.3 lets a server
// answer only the most recent ping, and the connection must stop reading while its output is
// over its bound. Swept over 10,000, 100,000 and 1,000,000 empty pings (6 bytes each) on the
// engine echo server. The client reads nothing until the server is quiet, then reads again: a
// text message sent after the pings must come back (the queue drains in bounded time), with
// at least one pong and no more pongs than pings before it.
//
// Bound: growth <= 8 MiB + 1 x bytes sent.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { hostileSweep, sweep } from "./lib/sweep.mjs";
import { waitQuiescent } from "./lib/server.mjs";
import { engineWs } from "./lib/engine.mjs";
import { frame, OP } from "./lib/wire.mjs";

describe("5. WebSocket ping flood without reading", () => {
  hostileSweep({
    name: "5. empty pings, answers not read",
    kind: "engine",
    points: sweep(10_000, "pings"),
    bound: { k: 1, constMiB: 8 },
    attack: async (server, { n }) => {
      const ws = await engineWs(server);
      const ping = frame(OP.ping);
      const per = 10_000;
      const block = Buffer.concat(new Array(per).fill(ping));
      const chunks = [];
      for (let left = n; left > 0; left -= per) chunks.push(left >= per ? block : block.subarray(0, left * ping.length));
      chunks.push(frame(OP.text, "4after-the-pings"));
      const bytesSent = n * ping.length;
      try {
        ws.pause();
        const writing = ws.conn.writeStream(chunks, { highWater: 64 * 1024 * 1024 });
        await waitQuiescent(server, { timeoutMs: 90_000 });
        ws.resume();
        await writing;
        let pongs = 0;
        for (;;) {
          const f = await ws.nextFrame({ timeout: 60_000 });
          if (f.opcode === OP.pong) {
            assert.equal(f.payload.length, 0, "a pong carries its ping's (empty) payload");
            pongs++;
          } else if (f.opcode === OP.text && f.payload.toString() === "4after-the-pings") {
            break;
          } else if (f.opcode === OP.close) {
            throw new Error(`closed with ${f.payload.length >= 2 ? f.payload.readUInt16BE(0) : "no code"} after ${pongs} pongs`);
          }
        }
        assert.ok(pongs >= 1 && pongs <= n, `${pongs} pongs for ${n} pings`);
        return { bytesSent, outcome: `${pongs} pongs, then the message` };
      } catch (err) {
        throw Object.assign(err, { bytesSent });
      } finally {
        ws.destroy();
      }
    },
  });
});
