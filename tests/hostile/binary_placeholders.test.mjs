// Class 1 (issue 11, item 1): a BINARY_EVENT whose placeholders all name the same attachment.
// Decoding must share the attachment's bytes, not copy them once per placeholder: memory is
// O(bytes received) whatever the number of placeholders. Swept over 30, 300 and 3,000
// placeholders naming one 300 kB attachment (plus 3,000 x 900 kB on WebSocket, which ended in
// std::bad_alloc), over WebSocket on a joined namespace, over WebSocket to a namespace that is not
// joined (decoded before the namespace check, then the connection is closed), and in one
// polling POST.
//
// Bound: growth <= 8 MiB + 4 x bytes sent (the frame or body is read, the attachment decoded and
// the packet held: a few copies of what was sent, never one per placeholder).
import assert from "node:assert/strict";
import { describe } from "node:test";
import { hostileSweep } from "./lib/sweep.mjs";
import { sioWs, sioSync, placeholder, handshake, post, pollUntil, SEP } from "./lib/engine.mjs";
import { frame, OP } from "./lib/wire.mjs";

const BOUND = { k: 4, constMiB: 8 };
const KB = 1000;

function points(extra = []) {
  return [30, 300, 3000].map((n, i) => ({ label: `x${10 ** i} (${n} placeholders, 300 kB)`, n, size: 300 * KB })).concat(extra);
}

/** `51-[<nsp>,]["hostile-unhandled",{placeholder 0} x n]`: no handler, so nothing is echoed. */
function header(n, nsp = "") {
  const args = new Array(n).fill(placeholder(0)).join(",");
  return `451-${nsp ? nsp + "," : ""}["hostile-unhandled",${args}]`;
}

describe("1. BINARY_EVENT with every placeholder naming one attachment", () => {
  hostileSweep({
    name: "1a. WebSocket, namespace / joined",
    kind: "sio",
    points: points([{ label: "3000 placeholders, 900 kB", n: 3000, size: 900 * KB }]),
    bound: BOUND,
    attack: async (server, { n, size }) => {
      const ws = await sioWs(server);
      const bytes = [frame(OP.text, header(n)), frame(OP.binary, Buffer.alloc(size, 0xab))];
      for (const b of bytes) await ws.conn.write(b);
      const bytesSent = bytes[0].length + bytes[1].length;
      // The ack of an echo-ack sent after it: the event was decoded and dropped.
      try {
        await sioSync(ws);
      } catch (err) {
        throw Object.assign(err, { bytesSent });
      } finally {
        ws.destroy();
      }
      return { bytesSent, outcome: "event decoded, next ack received" };
    },
  });

  hostileSweep({
    name: "1b. WebSocket, namespace /custom not joined",
    kind: "sio",
    points: points(),
    bound: BOUND,
    attack: async (server, { n, size }) => {
      const ws = await sioWs(server);
      const bytes = [frame(OP.text, header(n, "/custom")), frame(OP.binary, Buffer.alloc(size, 0xab))];
      for (const b of bytes) await ws.conn.write(b);
      const bytesSent = bytes[0].length + bytes[1].length;
      // A packet for a namespace that is not joined closes the whole connection (PROTOCOL.md §10).
      try {
        const { code } = await ws.expectClose({ timeout: 30_000 });
        return { bytesSent, outcome: `connection closed (close code ${code})` };
      } catch (err) {
        throw Object.assign(new Error(`the connection was not closed after an event for a namespace not joined: ${err.message}`), { bytesSent });
      } finally {
        ws.destroy();
      }
    },
  });

  hostileSweep({
    name: "1c. one polling POST, namespace / joined",
    kind: "sio",
    points: points(),
    bound: BOUND,
    attack: async (server, { n, size }) => {
      const { sid } = await handshake(server);
      assert.equal((await post(server, sid, "40")).status, 200);
      await pollUntil(server, sid, (p) => p.startsWith("40{"));
      // The event, its attachment (b + base64) and a sync echo-ack, all in one POST.
      const body = [header(n), "b" + Buffer.alloc(size, 0xab).toString("base64"), `429999["echo-ack","sync-9999"]`].join(SEP);
      const bytesSent = Buffer.byteLength(body);
      const res = await post(server, sid, body, { timeout: 60_000 }).catch((err) => {
        throw Object.assign(err, { bytesSent });
      });
      if (res.status !== 200) throw Object.assign(new Error(`the POST was answered ${res.status}: ${res.body}`), { bytesSent });
      await pollUntil(server, sid, (p) => p === `439999["sync-9999"]`, { timeout: 30_000 }).catch((err) => {
        throw Object.assign(err, { bytesSent });
      });
      return { bytesSent, outcome: "POST ok, next ack received" };
    },
  });
});
