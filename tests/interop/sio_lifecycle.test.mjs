// socket.io-client 4.8 interop: disconnect reasons on both sides (server namespace disconnect,
// server close, transport loss, client disconnect), reconnection, maxPayload, volatile events.
// The server side is observed through `peer-disconnect`, sent to the sockets of room `observers`.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { sioRule, useSioServer, MODES, manager, connect, createSocket, awaitConnect, ack, ack1, withTimeout } from "../lib/sio.mjs";

const RECONNECT = { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100, randomizationFactor: 0 };

async function observer(server, nsp = "/") {
  const o = await connect(server, { mode: "websocket", nsp });
  await ack(o, "join", "observers");
  return o;
}

/**
 * Asserts that the Manager `m` will not reconnect: waits until it has closed its Engine.IO
 * connection, the moment it decides (Manager.onclose emits "close", then calls reconnect(), which
 * marks the manager as reconnecting at once, before its first delay), and checks the decision.
 */
async function assertNoReconnection(m) {
  if (m._readyState !== "closed") await withTimeout(new Promise((resolve) => m.once("close", resolve)), 5000, "the client did not close its connection");
  await Promise.resolve(); // onclose's reconnect() runs right after the "close" listeners
  assert.equal(m._reconnecting, false, "the client scheduled a reconnection");
}

/** Disconnect reason of socket.io-client when the server refuses an oversized packet: a WebSocket is closed (1009), a polling POST gets 413. */
const OVERSIZE_REASON = { websocket: "transport close", polling: "transport error", upgrade: "transport close" };

/** The reason the server reported for socket `id` (waits for it). */
async function serverReason(obs, id) {
  const e = await obs.log.until(() => obs.log.of("peer-disconnect").find((x) => x.args[0].id === id), 5000, `no peer-disconnect for ${id}`);
  return e.args[0].reason;
}

describe("socket.io-client 4.8 interop: disconnects and reconnection", () => {
  const server = useSioServer();

  for (const mode of Object.keys(MODES)) {
    describe(mode, () => {
      sioRule(`${mode}: server namespace disconnect: reason "io server disconnect" and no reconnection`, async () => {
        const obs = await observer(server);
        const s = await connect(server, { mode, ...RECONNECT });
        const id = s.id;
        s.emit("disconnect-me", false);
        const d = await s.log.first("disconnect");
        assert.equal(d.args[0], "io server disconnect");
        assert.equal(await serverReason(obs, id), "server namespace disconnect");
        await assertNoReconnection(s.io);
        assert.equal(s.log.of("connect").length, 1, "no reconnection after a server disconnect");
        assert.equal(s.active, false);
      });

      sioRule(`${mode}: server close of the whole connection: every namespace gets "io server disconnect"`, async () => {
        const obs = await observer(server);
        const m = manager(server, mode, RECONNECT);
        const root = createSocket(server, { manager: m, nsp: "/" });
        const custom = createSocket(server, { manager: m, nsp: "/custom" });
        await Promise.all([awaitConnect(root), awaitConnect(custom)]);
        const id = root.id;
        custom.emit("disconnect-me", true);
        assert.equal((await root.log.first("disconnect")).args[0], "io server disconnect");
        assert.equal((await custom.log.first("disconnect")).args[0], "io server disconnect");
        assert.equal(await serverReason(obs, id), "server namespace disconnect");
        await assertNoReconnection(m);
        assert.equal(root.log.of("connect").length + custom.log.of("connect").length, 2, "no reconnection");
      });

      sioRule(`${mode}: transport loss (the server closes the Engine.IO session): reason "transport close", then the client reconnects`, async () => {
        const s = await connect(server, { mode, ...RECONNECT });
        const id = s.id;
        s.emit("close-transport");
        assert.equal((await s.log.first("disconnect")).args[0], "transport close");
        await s.log.nth("connect", 2);
        assert.notEqual(s.id, id, "a new socket after reconnecting");
        assert.deepEqual(await ack(s, "echo-ack", "back"), ["back"]);
      });

      sioRule(`${mode}: client disconnect: the server sees "client namespace disconnect"`, async () => {
        const obs = await observer(server);
        const s = await connect(server, { mode });
        const id = s.id;
        s.disconnect();
        assert.equal(await serverReason(obs, id), "client namespace disconnect");
      });
    });
  }

  sioRule("websocket: transport loss on the client side: the server sees \"transport close\", the client reconnects", async () => {
    const obs = await observer(server);
    const s = await connect(server, { mode: "websocket", ...RECONNECT });
    const id = s.id;
    s.io.engine.transport.ws.close(); // the TCP connection goes away, no DISCONNECT, no close packet
    assert.equal((await s.log.first("disconnect")).args[0], "transport close");
    assert.equal(await serverReason(obs, id), "transport close");
    await s.log.nth("connect", 2);
    assert.deepEqual(await ack(s, "echo-ack", 1), [1]);
  });

  sioRule("websocket: a volatile event reaches a client that can take it", async () => {
    const s = await connect(server, { mode: "websocket" });
    for (let round = 1; round <= 3; round++) {
      s.emit("volatile-burst", 1);
      await s.log.nth("volatile-done", round);
      assert.deepEqual(s.log.argsOf("volatile"), Array.from({ length: round }, () => [0]), `round ${round}`);
    }
  });

  sioRule("polling: volatile events are dropped rather than queued; plain events all arrive", async () => {
    const s = await connect(server, { mode: "polling" });
    for (let round = 0; round < 3; round++) {
      s.emit("volatile-burst", 50);
      await s.log.nth("volatile-done", round + 1);
    }
    const got = s.log.of("volatile").length;
    assert.ok(got < 150, `volatile events while the polling transport is busy are dropped (${got} of 150 arrived)`);
    s.emit("burst", 150);
    await s.log.nth("burst", 150);
    assert.equal(s.log.of("burst").length, 150);
  });
});

describe("socket.io-client 4.8 interop: maxPayload (--max-payload 10000)", () => {
  const server = useSioServer(["--max-payload", "10000"]);

  for (const mode of Object.keys(MODES)) {
    sioRule(`${mode}: a packet over maxPayload closes the connection; under it passes; the server may send more`, async () => {
      const s = await connect(server, { mode });
      assert.equal((await ack(s, "echo-ack", "x".repeat(5000)))[0].length, 5000);
      assert.equal((await ack1(s, "big", 100_000)).length, 100_000, "maxPayload limits what the server receives only");
      s.emit("echo", "y".repeat(20_000));
      const d = await s.log.first("disconnect");
      assert.equal(d.args[0], OVERSIZE_REASON[mode]);
      assert.equal(s.log.of("echo").length, 0, "the oversized event was not processed");
    });
  }
});
