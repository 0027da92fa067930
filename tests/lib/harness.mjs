// Test harness glue: one engine server per suite, cleanup of client connections after each
// test, and the list of rules on which the reference server (npm engine.io) deviates from
// PROTOCOL.md. With SIO_IMPL=ref those tests run as `todo` (expected failures); against sio
// they are plain tests.
import { it, before, after, beforeEach, afterEach } from "node:test";
import { IMPL, startEngineServer } from "./server.mjs";
import { destroyAll } from "./track.mjs";

export { IMPL };

/** Test name → why the reference server fails it. Keep in sync with tests/README.md. */
export const refDeviations = {
  "1.1 the engine path is served with and without the trailing slash":
    "with engine.io's default addTrailingSlash:true only `/engine.io/...` matches; `/engine.io?...` falls through to the app (404)",
  "4.5 polling: a b packet that is not valid base64 is a parse error that closes the session":
    "Buffer.from(…, 'base64') is lenient: engine.io drops the bad characters and delivers whatever decodes",
  "4.6 WS: a text frame starting with b is not a binary message (b is polling-only)":
    "engine.io-parser decodes a `b` text packet as base64 binary on any transport",
  "7.6 a WebSocket carrying the sid of a WebSocket-only session is closed":
    "engine.io treats it as an upgrade: answers 3probe and swaps sockets on 5",
  "8.2 client close packet 1 over WebSocket closes the socket at once":
    "engine.io ignores a close packet received on the WebSocket transport",
  "8.3 server-initiated close over WebSocket: a 1 frame, then the socket closes and the sid is gone":
    "engine.io closes the WebSocket (close frame, no status code) without sending a close packet 1",
  "8.3 server-initiated close after an upgrade: a 1 frame on the WebSocket":
    "engine.io closes the WebSocket (close frame, no status code) without sending a close packet 1",
  "T.3 --no-upgrades: a WebSocket with the sid of a polling session is refused":
    "allowUpgrades=false only empties the advertised list; engine.io still accepts the upgrade",
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
 * Start an engine echo server for the enclosing describe() block. Returns an object that gets
 * the server's fields (port, url, ...) once the `before` hook has run. Client connections
 * left open by a test are destroyed after it. A server that dies during a test fails that
 * test (afterEach) and is started again before the next one, so that one crash does not
 * fail the rest of the suite.
 */
export function useServer(args = []) {
  const handle = {};
  let server = null;
  const start = async () => {
    if (server) liveServers.delete(server);
    server = await startEngineServer(args);
    liveServers.add(server);
    const { alive, stderr, ...fields } = server; // eslint-disable-line no-unused-vars
    Object.assign(handle, fields);
    Object.defineProperty(handle, "alive", { get: () => server.alive, configurable: true, enumerable: true });
    Object.defineProperty(handle, "stderr", { get: () => server.stderr, configurable: true, enumerable: true });
  };
  before(start);
  beforeEach(async () => {
    if (server && !server.alive) await start();
  });
  afterEach(async () => {
    destroyAll();
    if (server && !server.alive) {
      const info = await server.exited;
      throw new Error(`the ${server.impl} server died during this test (exit code ${info.code}, signal ${info.signal})\nstderr: ${server.stderr.slice(-2000)}`);
    }
  });
  after(async () => {
    destroyAll();
    liveServers.delete(server);
    if (server && server.alive) await server.stop();
  });
  return handle;
}
