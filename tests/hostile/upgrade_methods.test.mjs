// Class 8 (issue 11, "also to cover"): WebSocket upgrade requests with methods other than GET.
// Only GET may upgrade. The answers are the reference server's (npm socket.io 4.8.4 / engine.io
// 6.6.12 / ws 8, checked on the wire with tests/fixtures/sio_fixture_ref.mjs), each followed by the
// close of the connection and never by a 101:
// - without a sid (a handshake): engine.io's verify refuses the method first, PROTOCOL.md §2
//   code 2: `400`, `Content-Type: text/html`, body `Bad handshake method`;
// - with the sid of a live polling session (an upgrade): ws refuses the method:
//   `405`, `Content-Type: text/html`, body `Invalid HTTP method`.
// Swept over 10, 100 and 1,000 requests (POST, PUT, DELETE, OPTIONS, PATCH, with and without a
// sid, each on its own connection, 16 at a time).
//
// Bound: growth <= 8 MiB + 4 x bytes sent.
import { describe } from "node:test";
import { hostileSweep, sweep } from "./lib/sweep.mjs";
import { handshake } from "./lib/engine.mjs";
import { Conn, requestBytes } from "./lib/wire.mjs";

const METHODS = ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"];
const EXPECTED = {
  handshake: { status: 400, body: "Bad handshake method" },
  upgrade: { status: 405, body: "Invalid HTTP method" },
};

/** One upgrade request on its own connection: null if refused as the reference does, else what differed. */
async function refusedUpgrade(server, method, sid) {
  const query = `EIO=4&transport=websocket${sid ? `&sid=${sid}` : ""}`;
  const bytes = requestBytes({
    method,
    path: `${server.enginePath}?${query}`,
    headers: { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13" },
  });
  const conn = await Conn.open(server.port);
  const what = `${method} upgrade ${sid ? "with" : "without"} a sid`;
  try {
    await conn.write(bytes);
    const res = await conn.readResponse({ head: false }).catch((err) => ({ error: err }));
    if (res.error) return { bytes: bytes.length, wrong: `${what}: ${res.error.message}` };
    const want = EXPECTED[sid ? "upgrade" : "handshake"];
    const got = { status: res.status, type: res.headers["content-type"]?.toLowerCase(), body: res.body.toString() };
    if (got.status !== want.status || got.type !== "text/html" || got.body !== want.body) {
      return { bytes: bytes.length, wrong: `${what}: ${JSON.stringify(got)} instead of ${JSON.stringify({ ...want, type: "text/html" })}` };
    }
    if (!(await conn.waitClosed(5000))) return { bytes: bytes.length, wrong: `${what}: the connection stayed open after the ${res.status}` };
    return { bytes: bytes.length, wrong: null };
  } finally {
    conn.destroy();
  }
}

describe("8. upgrades with methods other than GET", () => {
  hostileSweep({
    name: "8. upgrade requests with POST, PUT, DELETE, OPTIONS, PATCH",
    kind: "sio",
    points: sweep(10, "requests"),
    bound: { k: 4, constMiB: 8 },
    attack: async (server, { n }) => {
      const { sid } = await handshake(server);
      let bytesSent = 0;
      let next = 0;
      const wrong = [];
      const worker = async () => {
        while (next < n) {
          const i = next++;
          const r = await refusedUpgrade(server, METHODS[i % METHODS.length], Math.floor(i / METHODS.length) % 2 ? sid : null);
          bytesSent += r.bytes;
          if (r.wrong) wrong.push(r.wrong);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      const outcome = `${n - wrong.length} of ${n} refused as the reference does`;
      if (wrong.length) {
        const kinds = [...new Set(wrong)];
        throw Object.assign(new Error(`${outcome}; ${wrong.length} not: ${kinds.slice(0, 4).join("; ")}`), { bytesSent });
      }
      return { bytesSent, outcome };
    },
  });
});
