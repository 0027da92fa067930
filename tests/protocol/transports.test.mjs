// Restricted transports: --transports and --no-upgrades (PROTOCOL.md §2 code 0, §3, §7).
import assert from "node:assert/strict";
import { describe } from "node:test";
import { rule, useServer } from "../lib/harness.mjs";
import { engineWs } from "../lib/ws.mjs";
import { request } from "../lib/http.mjs";
import { handshake, engineQuery, assertEngineError, echoPolling } from "../lib/engine.mjs";

/** The WebSocket handshake must be refused with HTTP 400 whose body names the error `message`. */
async function assertWsRefused(ws, message) {
  const refused = await ws.opened.then(
    () => null,
    (e) => e,
  );
  assert.ok(refused, `the WebSocket was accepted (frames ${JSON.stringify(ws.frames.map((f) => f.data))})`);
  assert.equal(refused.status, 400, `refused with HTTP ${refused.status} ${refused.body}`);
  // the reference answers JSON here (its WebSocket path is not installed without the transport),
  // a refused upgrade elsewhere gets the bare message (PROTOCOL.md §2): only the message is pinned
  assert.match(refused.body, new RegExp(`\\b${message}\\b`), `refusal body ${JSON.stringify(refused.body)}`);
}

describe("--transports websocket", () => {
  const server = useServer(["--transports", "websocket"]);

  rule("T.1 --transports websocket: a polling handshake gets 400 code 0", async () => {
    assertEngineError(await request(server, { query: engineQuery() }), 0);
  });

  rule("T.1 --transports websocket: WebSocket sessions work and offer no upgrades", async () => {
    const ws = engineWs(server);
    await ws.opened;
    const open = JSON.parse((await ws.nextText()).slice(1));
    assert.deepEqual(open.upgrades, []);
    await ws.send("4ws");
    assert.equal(await ws.nextText(), "4ws");
  });
});

describe("--transports polling", () => {
  const server = useServer(["--transports", "polling"]);

  rule("T.2 --transports polling: a WebSocket handshake is refused", async () => {
    await assertWsRefused(engineWs(server), "Transport unknown");
  });

  rule("T.2 --transports polling: polling sessions work and offer no upgrades", async () => {
    const { sid, open } = await handshake(server);
    assert.deepEqual(open.upgrades, []);
    await echoPolling(server, sid, "polling-only");
    await assertWsRefused(engineWs(server, { sid }), "Transport unknown");
    await echoPolling(server, sid, "still-polling");
  });
});

describe("--no-upgrades", () => {
  const server = useServer(["--no-upgrades"]);

  rule("T.3 --no-upgrades: the open packet has upgrades []", async () => {
    const { open } = await handshake(server);
    assert.deepEqual(open.upgrades, []);
  });

  rule("T.3 --no-upgrades: a WebSocket with the sid of a polling session is refused", async () => {
    const { sid } = await handshake(server);
    await assertWsRefused(engineWs(server, { sid }), "Bad request");
    await echoPolling(server, sid, "still-polling");
  });

  rule("T.3 --no-upgrades: WebSocket-only sessions still work", async () => {
    const ws = engineWs(server);
    await ws.opened;
    const open = JSON.parse((await ws.nextText()).slice(1));
    assert.deepEqual(open.upgrades, []);
    await ws.send("4ws");
    assert.equal(await ws.nextText(), "4ws");
  });
});
