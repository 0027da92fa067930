// Class 9 (issue 11, "also to cover"): handshakes opened and abandoned. A session that never
// sends its Socket.IO CONNECT must cost memory that follows the bytes of its handshake, expire
// (connect timeout; heartbeat for polling) and leave the server as it was. Swept over 100, 1,000
// and 10,000 handshakes with --connect-timeout 1500 --ping-interval 1000 --ping-timeout 1000:
// - 9a. polling: GET handshakes (pipelined in batches on 8 keep-alive connections), never followed
//   by anything; afterwards every sid sampled answers 400 {"code":1,"message":"Session ID unknown"}
//   within the connect timeout plus 10 s;
// - 9b. WebSocket: connections (transport=websocket) that read their open packet and never send
//   CONNECT, spread over 50 loopback source addresses (a per-address limit of connections must
//   not be what refuses them); each must be closed by the server (or refused at once, if a limit
//   of handshakes waiting for CONNECT says so) within the connect timeout plus 10 s.
//
// Bound: growth <= 8 MiB + 32 x bytes sent (a polling handshake request is about 70 bytes, a
// WebSocket one about 180: a session may cost up to 32 times its request while it waits).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe } from "node:test";
import { hostileSweep, sweep } from "./lib/sweep.mjs";
import { get, pollPath, SEP } from "./lib/engine.mjs";
import { Conn, WireWs, requestBytes, upgradeRequest, loopbackAddress } from "./lib/wire.mjs";

const CONNECT_TIMEOUT_MS = 1500;
const ARGS = ["--connect-timeout", String(CONNECT_TIMEOUT_MS), "--ping-interval", "1000", "--ping-timeout", "1000"];
const BOUND = { k: 32, constMiB: 8 };
const EXPIRY_SLACK_MS = 10_000;

/** The soft limit of open descriptors of this process (a server started by it inherits it). */
function openFileLimit() {
  const m = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  return m ? Number(m[1]) : 1024;
}

/** `n` polling handshakes on `connections` keep-alive connections; their sids. */
async function pollingHandshakes(server, n, { connections = 8, batch = 50 } = {}) {
  const request = requestBytes({ path: pollPath(server) });
  const sids = [];
  let left = n;
  const worker = async () => {
    const conn = await Conn.open(server.port);
    try {
      while (left > 0) {
        const k = Math.min(batch, left);
        left -= k;
        await conn.write(Buffer.concat(new Array(k).fill(request)));
        for (let i = 0; i < k; ++i) {
          const res = await conn.readResponse({ timeout: 30_000 });
          assert.equal(res.status, 200, `handshake answered ${res.status}: ${res.body}`);
          sids.push(JSON.parse(res.body.toString().split(SEP)[0].slice(1)).sid);
        }
      }
    } finally {
      conn.destroy();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return { sids, bytesSent: n * request.length };
}

/** Resolves once `sid` answers 400 code 1 (GETs that return packets meanwhile are repeated). */
async function expectExpired(server, sid, deadline) {
  while (Date.now() < deadline) {
    const res = await get(server, sid, { timeout: Math.max(1, deadline - Date.now()) });
    if (res.status === 400) {
      assert.deepEqual(JSON.parse(res.body.toString()), { code: 1, message: "Session ID unknown" });
      return;
    }
    assert.equal(res.status, 200, `GET with an abandoned sid answered ${res.status}`);
  }
  throw new Error(`session ${sid} still alive ${EXPIRY_SLACK_MS} ms after its connect timeout`);
}

describe("9. handshakes opened and abandoned", () => {
  hostileSweep({
    name: "9a. polling handshakes never followed up",
    kind: "sio",
    args: ARGS,
    points: sweep(100, "handshakes"),
    bound: BOUND,
    attack: async (server, { n }) => {
      const { sids, bytesSent } = await pollingHandshakes(server, n);
      const lastAt = Date.now();
      const peak = server.hwmKiB();
      // 50 sids spread over the whole run, probed after they should all have expired.
      const sample = Array.from({ length: Math.min(50, sids.length) }, (_, i) => sids[Math.floor((i * sids.length) / Math.min(50, sids.length))]);
      const deadline = lastAt + CONNECT_TIMEOUT_MS + EXPIRY_SLACK_MS;
      try {
        await Promise.all(sample.map((sid) => expectExpired(server, sid, deadline)));
      } catch (err) {
        throw Object.assign(err, { bytesSent });
      }
      return { bytesSent, outcome: `${sids.length} sessions, peak ${Math.round(peak / 1024)} MiB while alive, ${sample.length} sampled all expired` };
    },
  });

  hostileSweep({
    name: "9b. WebSocket connections that never send CONNECT",
    kind: "sio",
    args: ARGS,
    points: sweep(100, "connections"),
    bound: BOUND,
    attack: async (server, { n }) => {
      const path = `${server.enginePath}?EIO=4&transport=websocket`;
      const requestLength = upgradeRequest(path).length;
      let bytesSent = 0;
      let opened = 0;
      let refused = 0;
      const lingering = [];
      let next = 0;
      // 64 handshakes in flight; each connection then waits for the server's close on its own.
      // Open connections are capped below this process's descriptor limit (the server shares it).
      const maxOpen = Math.max(256, Math.min(20_000, Math.floor((openFileLimit() - 256) / 2)));
      let open = 0;
      const waiters = [];
      const worker = async () => {
        while (next < n) {
          while (open >= maxOpen) await new Promise((r) => waiters.push(r));
          if (next >= n) break;
          const i = next++;
          let ws;
          try {
            ws = await WireWs.open(server.port, path, { localAddress: loopbackAddress(i), timeout: 30_000 });
          } catch (err) {
            if (!err.response && !/closed/.test(err.message)) throw err;
            refused++;
            continue;
          } finally {
            bytesSent += requestLength;
          }
          opened++;
          open++;
          const openedAt = Date.now();
          // The open packet is read and nothing is sent, but a close frame is answered, as a
          // client's WebSocket stack would.
          lingering.push(
            ws
              .expectClose({ timeout: CONNECT_TIMEOUT_MS + EXPIRY_SLACK_MS })
              .then(() => Date.now() - openedAt)
              .finally(() => {
                ws.destroy();
                open--;
                waiters.shift()?.();
              }),
          );
        }
      };
      try {
        await Promise.all(Array.from({ length: 64 }, worker));
        const lifetimes = await Promise.all(lingering); // rejects if one stayed open past the slack
        const longest = Math.max(0, ...lifetimes);
        return { bytesSent, outcome: `${opened} opened, ${refused} refused, all closed by the server (longest ${longest} ms)` };
      } catch (err) {
        throw Object.assign(err, { bytesSent });
      }
    },
  });
});
