// Class 6 (issue 11, "also to cover"): many dynamic namespaces from one client. The fixture's
// namespace /^\/dyn-\d+$/ accepts any /dyn-<n>, so one connection can ask for as many child
// namespaces as it likes; each costs a namespace and a socket. A limit of namespaces per client
// must bound that (what the server answers at the limit, a CONNECT_ERROR or a close, is left to
// the limit's own tests). Swept over 100, 1,000 and 10,000 CONNECTs to distinct /dyn-<i> on one
// raw WebSocket, then an echo-ack on "/" marks the end of their handling (its ack, or the close
// of the connection if the server chose to close it).
//
// Bound: growth <= 8 MiB + 16 x bytes sent (a CONNECT frame is about 20 bytes; with a per-client
// limit the namespaces and sockets past it cost nothing).
import { describe } from "node:test";
import { hostileSweep, sweep } from "./lib/sweep.mjs";
import { sioWs } from "./lib/engine.mjs";
import { frame, OP } from "./lib/wire.mjs";

describe("6. dynamic namespaces from one client", () => {
  hostileSweep({
    name: "6. CONNECT to /dyn-<i> many times on one connection",
    kind: "sio",
    points: sweep(100, "namespaces"),
    bound: { k: 16, constMiB: 8 },
    attack: async (server, { n }) => {
      const ws = await sioWs(server);
      const chunks = [];
      for (let i = 0; i < n; i += 1000) {
        const frames = [];
        for (let j = i; j < Math.min(n, i + 1000); ++j) frames.push(frame(OP.text, `40/dyn-${j},`));
        chunks.push(Buffer.concat(frames));
      }
      chunks.push(frame(OP.text, `429999["echo-ack","sync-9999"]`));
      const bytesSent = chunks.reduce((s, c) => s + c.length, 0);
      try {
        await ws.conn.writeStream(chunks, { highWater: 16 * 1024 * 1024 });
        let accepted = 0;
        let refused = 0;
        for (;;) {
          let msg;
          try {
            msg = await ws.nextText({ timeout: 60_000 });
          } catch (err) {
            if (err.closed) return { bytesSent, outcome: `connection closed after ${accepted} accepted, ${refused} refused` };
            throw err;
          }
          if (msg.startsWith("40/dyn-")) accepted++;
          else if (msg.startsWith("44/dyn-")) refused++;
          else if (msg === `439999["sync-9999"]`) break;
        }
        return { bytesSent, outcome: `${accepted} accepted, ${refused} refused, then the ack` };
      } catch (err) {
        throw Object.assign(err, { bytesSent });
      } finally {
        ws.destroy();
      }
    },
  });
});
