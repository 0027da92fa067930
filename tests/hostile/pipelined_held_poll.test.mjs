// Class 2 (issue 11, item 2): pipelined HTTP requests queued behind a held long-polling GET and
// then answered at once. Each answer must not start the next one recursively (the stack
// overflowed): work per input is a loop, its depth constant whatever the count. Swept over
// 100, 1,000 and 10,000 requests (404s, about 40 bytes each) behind one GET, on the engine echo
// server; the GET is released by a message POSTed on another connection, and every response
// must then come back, in order.
//
// Bound: growth <= 8 MiB + 4 x bytes sent (the requests are read ahead and each answer is about
// three times its request; the test reads them as they come).
import assert from "node:assert/strict";
import { describe } from "node:test";
import { hostileSweep, sweep } from "./lib/sweep.mjs";
import { waitQuiescent } from "./lib/server.mjs";
import { handshake, post, pollPath } from "./lib/engine.mjs";
import { Conn, requestBytes } from "./lib/wire.mjs";

describe("2. pipelined requests behind a held long-polling GET", () => {
  hostileSweep({
    name: "2. 404s pipelined behind a held GET, released at once",
    kind: "engine",
    points: sweep(100, "requests"),
    bound: { k: 4, constMiB: 8 },
    attack: async (server, { n }) => {
      const { sid } = await handshake(server);
      const conn = await Conn.open(server.port);
      const held = requestBytes({ path: pollPath(server, `&sid=${sid}`) });
      const notFound = requestBytes({ path: "/hostile-404" });
      const bytes = Buffer.concat([held, Buffer.concat(new Array(n).fill(notFound))]);
      const bytesSent = bytes.length;
      try {
        await conn.write(bytes);
        await waitQuiescent(server); // the server has read what it will read while the GET is held

        const release = await post(server, sid, "4release");
        assert.equal(release.status, 200, `the releasing POST was answered ${release.status}`);
        const first = await conn.readResponse({ timeout: 30_000 });
        assert.equal(first.status, 200);
        assert.equal(first.body.toString(), "4release");
        for (let i = 0; i < n; ++i) {
          const res = await conn.readResponse({ timeout: 30_000 }).catch((err) => {
            throw new Error(`response ${i + 1} of ${n} after the held GET: ${err.message}`);
          });
          assert.equal(res.status, 404, `response ${i + 1} of ${n}`);
        }
      } catch (err) {
        throw Object.assign(err, { bytesSent });
      } finally {
        conn.destroy();
      }
      return { bytesSent, outcome: `all ${n} answered in order` };
    },
  });
});
