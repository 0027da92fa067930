// Accept under descriptor exhaustion (issue 11): with its descriptor limit lowered (prlimit on the
// running server) and more connections waiting than it can accept, the server must back off
// instead of retrying accept() at once (EMFILE leaves the connection in the backlog, so an
// immediate retry fails again: 100 % CPU). Then, once clients leave, it accepts again and a
// normal client connects and gets its ack.
//
// Asserts, per point (connections beyond the limit: 10, 100, 1,000):
// - while exhausted, the server uses under 20 % of one CPU over 2 s (a spinning accept loop uses
//   ~100 %; the back-off, 10 ms doubling to 1 s, a few wake-ups);
// - after the extra connections are closed, the normal clients work;
// - the server exits cleanly (hostileSweep checks the exit and the sanitizer report).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe } from "node:test";
import { hostileSweep, sweep } from "./lib/sweep.mjs";
import { Conn } from "./lib/wire.mjs";

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux
const MEASURE_MS = 2000;
const MAX_CPU_SHARE = 0.2;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe("12. accept under descriptor exhaustion", () => {
  hostileSweep({
    name: "12a. connections beyond the descriptor limit",
    kind: "sio",
    points: sweep(10, "connections beyond the limit"),
    bound: { k: 64, constMiB: 8 },
    attack: async (server, { n }) => {
      const limit = server.fdCount() + 16;
      execFileSync("prlimit", ["--pid", String(server.pid), `--nofile=${limit}:${limit}`]);
      const conns = [];
      try {
        // 16 descriptors' worth are accepted; the rest wait in the kernel's backlog.
        for (let i = 0; i < 16 + n; ++i) conns.push(await Conn.open(server.port));
        await sleep(300); // the accept loop has met EMFILE by now
        const before = server.cpuTicks();
        await sleep(MEASURE_MS);
        const used = (server.cpuTicks() - before) / CLOCK_TICKS_PER_SECOND;
        assert.ok(
          used < MAX_CPU_SHARE * (MEASURE_MS / 1000),
          `the server used ${used.toFixed(2)} s of CPU in ${MEASURE_MS / 1000} s while out of descriptors`,
        );
      } finally {
        for (const c of conns) c.destroy();
      }
      // The descriptors come back as the connections close; the limit stays lowered, so the
      // normal clients need only a few of them.
      return { bytesSent: 0 };
    },
  });
});
