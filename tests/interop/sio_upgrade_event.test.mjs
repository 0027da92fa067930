// socket.conn.on("upgrade") on the server: the fixture tells the client when its session moved to
// WebSocket, once, and only in the mode that upgrades.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { sioRule, useSioServer, connect, ack } from "../lib/sio.mjs";

describe("server-side upgrade event", () => {
  const server = useSioServer();

  sioRule("upgrade: the server sees the session move to websocket, once", async () => {
    const s = await connect(server, { mode: "upgrade" });
    const [transport] = (await s.log.first("upgraded")).args;
    assert.equal(transport, "websocket");
    await ack(s, "echo-ack", "after");  // a round trip: no second upgrade event is on its way
    assert.equal(s.log.of("upgraded").length, 1);
  });

  for (const mode of ["websocket", "polling"]) {
    sioRule(`${mode}: no upgrade, no upgrade event`, async () => {
      const s = await connect(server, { mode });
      await ack(s, "echo-ack", "marker");
      assert.equal(s.log.of("upgraded").length, 0);
    });
  }
});
