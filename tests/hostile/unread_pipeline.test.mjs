// Class 3 (issue 11, item 3): a client pipelines requests and never reads the answers. The
// output queued per connection must be bounded and the connection must stop reading while it is
// full, so that memory follows what the client sent, not what it asked for. Swept over 30, 300
// and 3,000 requests for the client bundle's source map (308 kB answer to a 56-byte request:
// about 160 kB sent asked for 900 MB) and over 1,000, 10,000 and 100,000 requests for a 404.
// The client writes everything, never reads, and the measurement is taken once the server has
// stopped using CPU (nothing on the wire can mark the end of its work: the client reads nothing).
//
// Bound: growth <= 8 MiB + 4 x bytes sent (the output bound and one answer being written are
// in the constant).
import { describe } from "node:test";
import { hostileSweep, sweep } from "./lib/sweep.mjs";
import { waitQuiescent, CLIENT_DIST } from "./lib/server.mjs";
import { Conn, requestBytes } from "./lib/wire.mjs";

const BOUND = { k: 4, constMiB: 8 };

/** Writes n copies of `request` and never reads; resolves with what was sent and a release hook. */
async function neverRead(server, request, n) {
  const conn = await Conn.open(server.port);
  conn.pause();
  const chunk = 256;
  const batch = Buffer.concat(new Array(chunk).fill(request));
  const chunks = [];
  for (let left = n; left > 0; left -= chunk) chunks.push(left >= chunk ? batch : batch.subarray(0, left * request.length));
  // Writes go on in the background: a server that stops reading leaves them queued here.
  const writing = conn.writeStream(chunks, { highWater: 64 * 1024 * 1024 });
  await waitQuiescent(server, { timeoutMs: 90_000 });
  const handed = conn.socket.bytesWritten;
  return {
    bytesSent: n * request.length,
    outcome: `server quiet with ${handed} of ${n * request.length} bytes taken by the kernel, ${conn.received} bytes received`,
    after: async () => {
      conn.reset();
      await writing;
    },
  };
}

describe("3. pipelined requests whose answers are never read", () => {
  hostileSweep({
    name: "3a. socket.io.js.map requested again and again",
    kind: "sio",
    args: ["--serve-client", CLIENT_DIST],
    points: sweep(30, "requests"),
    bound: BOUND,
    attack: (server, { n }) => neverRead(server, requestBytes({ path: "/socket.io/socket.io.js.map" }), n),
  });

  hostileSweep({
    name: "3b. 404s",
    kind: "sio",
    points: sweep(1000, "requests"),
    bound: BOUND,
    attack: (server, { n }) => neverRead(server, requestBytes({ path: "/hostile-404" }), n),
  });
});
