// Test harness glue: one engine server per suite, cleanup of client connections after each
// test, and the list of rules on which the reference server (npm engine.io) deviates from
// PROTOCOL.md. With SIO_IMPL=ref those tests run as `todo` (expected failures); against sio
// they are plain tests.
import { it, before, after, beforeEach, afterEach } from "node:test";
import { IMPL, STOP_TIMEOUT_MS, startEngineServer } from "./server.mjs";
import { destroyAll } from "./track.mjs";

export { IMPL };

/** Test name → why the reference server fails it. Keep in sync with tests/README.md. */
export const refDeviations = {
  "1.1 the engine path is served with and without the trailing slash":
    "with engine.io's default addTrailingSlash:true only `/engine.io/...` matches; `/engine.io?...` falls through to the app (404)",
  "1.3 a WebSocket with EIO missing or not 4 is refused with HTTP 400 before the 101":
    "engine.io checks EIO only after the 101: it writes an HTTP 400 text into the upgraded stream and destroys it (the client sees 1006)",
  "4.5 polling: a b packet that is not valid base64 is a parse error that closes the session":
    "Buffer.from(…, 'base64') is lenient: engine.io drops the bad characters and delivers whatever decodes",
  "4.6 WS: a text frame starting with b is not a binary message (b is polling-only)":
    "engine.io-parser decodes a `b` text packet as base64 binary on any transport",
  "7.6 a WebSocket carrying the sid of a WebSocket-only session is closed":
    "engine.io treats it as an upgrade: answers 3probe and swaps sockets on 5",
  "8.2 client close packet 1 over WebSocket closes the socket at once":
    "engine.io ignores a close packet received on the WebSocket transport",
  "T.3 --no-upgrades: a WebSocket with the sid of a polling session is refused":
    "allowUpgrades=false only empties the advertised list; engine.io still accepts the upgrade",
  "H.3 a Transfer-Encoding list ending in chunked (gzip, chunked): 400, then the connection is closed":
    "llhttp accepts any list whose last coding is chunked (RFC 9112 allows it); issue 11 asks for exactly `chunked`",
  "H.4 Transfer-Encoding on HTTP/1.0: 400, then the connection is closed":
    "llhttp decodes a chunked body on HTTP/1.0 too (RFC 9112 §6.1: a server MUST treat it as faulty)",
  "H.9 HTTP/1.1 with two Host lines: 400, then the connection is closed":
    "Node checks only that a Host header is present; a second one is accepted (RFC 9112 §3.2: MUST answer 400)",
};

const DEFAULT_TEST_TIMEOUT_MS = 15_000;

/**
 * Makes a test declarer: a test named after the protocol rule it checks, `opts` being node:test
 * options. With SIO_IMPL=ref, a test listed in `deviations` becomes `todo`. When one of `servers`
 * (handles with `alive` and `impl`) died during a failing test, the failure says so, calling it
 * `what`.
 */
export function ruleDeclarer(deviations, servers, what) {
  return function declare(name, opts, fn) {
    if (typeof opts === "function") {
      fn = opts;
      opts = {};
    }
    const deviation = deviations[name];
    const todo = IMPL === "ref" && deviation ? `reference deviation: ${deviation}` : undefined;
    const wrapped = async (t) => {
      try {
        return await fn(t);
      } catch (err) {
        // name the real cause when the server process crashed under the test
        for (const srv of servers) {
          if (!srv.alive && err && typeof err.message === "string" && !err.message.startsWith("[")) {
            err.message = `[the ${srv.impl} ${what} died during this test] ${err.message}`;
          }
        }
        throw err;
      }
    };
    return it(name, { timeout: DEFAULT_TEST_TIMEOUT_MS, ...opts, ...(todo ? { todo } : {}) }, wrapped);
  };
}

const liveServers = new Set();

/** Declares an Engine.IO test (see ruleDeclarer), with refDeviations. */
export const rule = ruleDeclarer(refDeviations, liveServers, "server process");

/**
 * One server process for the enclosing (synchronous) describe() block, started by `startFn`
 * (lib/server.mjs spawnListening). Returns an object that gets the server's fields (port, url, ...)
 * once the `before` hook has run. After each test, client connections left open are destroyed,
 * and the test fails if the server died or printed a sanitizer report during it; a dead server is
 * started again before the next test, so that one crash does not fail the rest of the suite.
 * The last test of the block stops the server with SIGTERM and requires a clean exit (status 0 in
 * time, no sanitizer report); when a name filter skips that test, the `after` hook does it.
 */
export function useFixture(startFn, live, what) {
  const handle = {};
  let server = null;
  let reportsCharged = 0; // sanitizer reports already blamed on a test
  let stopped = false;
  const start = async () => {
    if (server) live.delete(server);
    server = await startFn();
    reportsCharged = 0;
    live.add(server);
    const { alive, stderr, sanitizerReports, ...fields } = server; // eslint-disable-line no-unused-vars
    Object.assign(handle, fields);
    Object.defineProperty(handle, "alive", { get: () => server.alive, configurable: true, enumerable: true });
    Object.defineProperty(handle, "stderr", { get: () => server.stderr, configurable: true, enumerable: true });
  };
  const stop = async () => {
    destroyAll();
    if (!server || stopped) return;
    stopped = true;
    live.delete(server);
    await server.stop();
  };
  before(start);
  beforeEach(async () => {
    if (server && !server.alive) await start();
  });
  afterEach(async () => {
    destroyAll();
    if (!server || stopped) return;
    if (!server.alive) {
      const info = await server.exited;
      const report = server.sanitizerReport(reportsCharged);
      throw new Error(`the ${server.impl} ${what} died during this test (exit code ${info.code}, signal ${info.signal})\n${report ? `sanitizer report:\n${report}` : `stderr: ${server.stderr.slice(-2000)}`}`);
    }
    if (server.sanitizerReports > reportsCharged) {
      const first = server.sanitizerReport(reportsCharged);
      const count = server.sanitizerReports - reportsCharged;
      reportsCharged = server.sanitizerReports;
      throw new Error(`the ${server.impl} ${what} printed ${count} sanitizer report(s) during this test, the first:\n${first}`);
    }
  });
  // Declared once the describe() body has run, so that it comes after every test of the block.
  queueMicrotask(() => {
    it(`the ${what} exits with status 0 and no sanitizer report after SIGTERM`, { timeout: STOP_TIMEOUT_MS + 5000 }, stop);
  });
  after(stop);
  return handle;
}

/**
 * Start an engine echo server for the enclosing describe() block (see useFixture).
 */
export function useServer(args = []) {
  return useFixture(() => startEngineServer(args), liveServers, "server");
}
