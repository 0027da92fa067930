// Class 10 (issue 11, "also to cover"): CORS with credentials. A server configured with origin
// `*` and credentials must never reflect the request's Origin, `null` included: with credentials
// a reflected Origin lets any page read the answers with the user's cookies. The answers are the
// reference's (npm socket.io 4.8.4 with the `cors` package, checked on the wire):
// - `cors: { origin: "*", credentials: true }`: `Access-Control-Allow-Origin: *` whatever the
//   Origin (browsers then refuse credentialed reads, which is the point);
// - `cors: { origin: ["https://good.example"], credentials: true }`: the listed origin is
//   reflected, any other (`null` included) gets no Access-Control-Allow-Origin.
// Both on polling handshakes (GET) and preflights (OPTIONS), swept over 10, 100 and 1,000
// requests with distinct Origins (`null`, then https://evil-<i>.example) on one keep-alive
// connection. Needs the fixture flag `--cors-credentials true` (socket.io's cors.credentials).
//
// Bound: growth <= 8 MiB + 4 x bytes sent.
import { describe } from "node:test";
import { hostileSweep, sweep } from "./lib/sweep.mjs";
import { pollPath } from "./lib/engine.mjs";
import { Conn, requestBytes } from "./lib/wire.mjs";

const GOOD = "https://good.example";

function originFor(i) {
  return i % 10 === 0 ? "null" : `https://evil-${i}.example`;
}

/** n requests with distinct Origins; returns the bytes sent and the answers that were wrong. */
async function corsRequests(server, n, expectedFor) {
  const conn = await Conn.open(server.port);
  let bytesSent = 0;
  const wrong = [];
  try {
    for (let i = 0; i < n; ++i) {
      const origin = i === 1 ? GOOD : originFor(i);
      const method = i % 2 ? "OPTIONS" : "GET";
      const headers = { Origin: origin };
      if (method === "OPTIONS") Object.assign(headers, { "Access-Control-Request-Method": "GET" });
      const bytes = requestBytes({ method, path: pollPath(server), headers });
      bytesSent += bytes.length;
      await conn.write(bytes);
      const res = await conn.readResponse();
      const got = res.headers["access-control-allow-origin"];
      const want = expectedFor(origin);
      if (got !== want) wrong.push(`${method} with Origin ${origin}: Access-Control-Allow-Origin ${JSON.stringify(got)} instead of ${JSON.stringify(want)}`);
    }
  } finally {
    conn.destroy();
  }
  if (wrong.length) throw Object.assign(new Error(`${wrong.length} of ${n} wrong: ${wrong.slice(0, 3).join("; ")}`), { bytesSent });
  return { bytesSent, outcome: `${n} answers as the reference's` };
}

describe("10. CORS with credentials", () => {
  hostileSweep({
    name: "10a. origin * with credentials: always *, never the Origin",
    kind: "sio",
    args: ["--cors-origin", "*", "--cors-credentials", "true"],
    points: sweep(10, "requests"),
    bound: { k: 4, constMiB: 8 },
    attack: (server, { n }) => corsRequests(server, n, () => "*"),
  });

  hostileSweep({
    name: "10b. one allowed origin with credentials: others (null included) get none",
    kind: "sio",
    args: ["--cors-origin", GOOD, "--cors-credentials", "true"],
    points: sweep(10, "requests"),
    bound: { k: 4, constMiB: 8 },
    attack: (server, { n }) => corsRequests(server, n, (origin) => (origin === GOOD ? GOOD : undefined)),
  });
});
