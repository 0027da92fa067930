// Graceful shutdown with clients still connected: on SIGTERM the fixtures close the server and
// must then exit with status 0 on their own, within a bound and with no sanitizer report
// (lib/server.mjs stop()). Every other suite closes its clients before stopping its server; here
// they are still there. The reference (Node's http server) closes idle keep-alive connections on
// close() and ends its sessions, so it exits at once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startEngineServer } from "../lib/server.mjs";
import { startSioServer, rawConnected, connect } from "../lib/sio.mjs";
import { rawRequest } from "../lib/http.mjs";
import { handshake, pendingPoll, engineQuery } from "../lib/engine.mjs";
import { engineWs } from "../lib/ws.mjs";
import { destroyAll } from "../lib/track.mjs";

/** Well under the fixtures' own 5 s deadline: nothing should be left to wait for. */
const EXIT_BOUND_MS = 2000;
const TEST_TIMEOUT_MS = 20_000;

/**
 * Starts a server with `start`, lets `connectClients(server)` open connections that stay open,
 * then stops it: a clean exit within EXIT_BOUND_MS is required.
 */
async function assertExitsWithClients(start, connectClients) {
  const server = await start();
  try {
    await connectClients(server);
    const sentAt = Date.now();
    await server.stop(); // throws unless status 0 and no sanitizer report
    const took = Date.now() - sentAt;
    assert.ok(took < EXIT_BOUND_MS, `exited ${took} ms after SIGTERM (bound ${EXIT_BOUND_MS} ms)`);
  } finally {
    destroyAll();
    if (server.alive) server.proc.kill("SIGKILL");
  }
}

/** A completed request whose connection the client keeps open (HTTP/1.1 keep-alive), idle. */
async function idleKeepAlive(server) {
  const h = rawRequest(server, `GET ${server.path}?${engineQuery({ sid: "idle-keep-alive" })} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, {
    keepOpenAfterResponse: true,
    timeout: 0,
  });
  assert.equal((await h.response).status, 400);
  return h;
}

describe("shutdown with clients connected", () => {
  it("S.1 engine: a WebSocket session, a held GET and an idle polling session do not delay the exit", { timeout: TEST_TIMEOUT_MS }, async () => {
    await assertExitsWithClients(startEngineServer, async (server) => {
      const ws = engineWs(server);
      await ws.opened;
      await ws.nextText();
      const { sid } = await handshake(server);
      await pendingPoll(server, sid);
      await handshake(server);
    });
  });

  it("S.2 engine: an idle keep-alive connection does not delay the exit", { timeout: TEST_TIMEOUT_MS }, async () => {
    await assertExitsWithClients(startEngineServer, idleKeepAlive);
  });

  it("S.1 Socket.IO: socket.io-clients (WebSocket, polling, upgraded) and a raw client do not delay the exit", { timeout: TEST_TIMEOUT_MS }, async () => {
    await assertExitsWithClients(startSioServer, async (server) => {
      await connect(server, { mode: "websocket" });
      await connect(server, { mode: "polling" });
      await connect(server, { mode: "upgrade" });
      await rawConnected(server);
    });
  });

  it("S.2 Socket.IO: an idle keep-alive connection does not delay the exit", { timeout: TEST_TIMEOUT_MS }, async () => {
    await assertExitsWithClients(startSioServer, idleKeepAlive);
  });
});
