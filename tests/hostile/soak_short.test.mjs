// The short form of the soak (tests/soak/soak.mjs; the full one is scripts/soak.sh) that CI runs
// against the build under test: 200 clients of mixed transports, a 10 s warm-up and 20 s of soak
// with 2 reconnect storms, abrupt disconnects and slow readers. Asserts no acked message lost or
// duplicated; descriptors, sockets and RSS back to the warm-up's baseline after everyone left
// (RSS within 16 MiB, 32 MiB under ASan whose quarantine and allocator caches keep more); a clean
// exit on SIGTERM.
import { test } from "node:test";
import { runSoak } from "../soak/soak.mjs";
import { sanitized } from "./lib/server.mjs";

test("soak, short form: 200 clients, 20 s", { timeout: 180_000 }, async (t) => {
  const { figures, failures } = await runSoak({
    clients: 200,
    warmupMs: 10_000,
    durationMs: 20_000,
    workers: 1,
    storms: 2,
    slowWebSockets: 3,
    slowPolling: 2,
    rssToleranceMiB: sanitized() ? 32 : 16,
    log: (line) => t.diagnostic(line),
  });
  t.diagnostic(JSON.stringify(figures));
  if (failures.length) throw new Error(failures.join("\n"));
});
