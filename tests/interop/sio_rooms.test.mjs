// socket.io-client 4.8 interop: rooms, broadcasts and their exclusions, private messages,
// fetchSockets, broadcast acks. Absence of a message is checked with a marker: a later message
// that every client receives, after which nothing earlier can still arrive (one connection
// delivers in order).
import assert from "node:assert/strict";
import { describe } from "node:test";
import { sioRule, useSioServer, MODES, connect, ack, ack1, unique } from "../lib/sio.mjs";

/** Connect `n` clients in `mode`, all in a fresh room `all`; returns { sockets, all }. */
async function group(server, mode, n) {
  const all = unique("all");
  const sockets = [];
  for (let i = 0; i < n; i++) {
    const s = await connect(server, { mode });
    await ack(s, "join", all);
    sockets.push(s);
  }
  return { sockets, all };
}

/** Send a marker to room `all` through `from` and wait until every socket got it. */
async function marker(from, all, sockets) {
  const tag = unique("marker");
  from.emit("to-room", all, "marker", tag);
  await Promise.all(sockets.map((s) => s.log.until(() => s.log.argsOf("marker").some((a) => a[0] === tag), 5000, `no marker ${tag}`)));
}

/** The argument lists of `event` received by each socket, in socket order. */
const received = (sockets, event) => sockets.map((s) => s.log.argsOf(event));

describe("socket.io-client 4.8 interop: rooms and broadcasts", () => {
  const server = useSioServer();

  for (const mode of Object.keys(MODES)) {
    describe(mode, () => {
      sioRule(`${mode}: join/leave/rooms: a socket is in the room of its own id plus the rooms it joined`, async () => {
        const s = await connect(server, { mode });
        const [r1, r2] = [unique("r"), unique("r")];
        assert.deepEqual(await ack1(s, "rooms"), [s.id]);
        assert.deepEqual((await ack1(s, "join", r1)).sort(), [s.id, r1].sort());
        assert.deepEqual((await ack1(s, "join", [r2])).sort(), [s.id, r1, r2].sort(), "join accepts a list");
        assert.deepEqual((await ack1(s, "leave", r1)).sort(), [s.id, r2].sort());
        assert.deepEqual((await ack1(s, "rooms")).sort(), [s.id, r2].sort());
      });

      sioRule(`${mode}: to(room) reaches the members only, the sender too when it is a member; leave stops it`, async () => {
        const { sockets, all } = await group(server, mode, 4);
        const [a, b, c, d] = sockets;
        const room = unique("room");
        await ack(b, "join", room);
        await ack(c, "join", room);
        a.emit("to-room", room, "room-msg", 1, { x: "y" });
        await marker(a, all, sockets);
        assert.deepEqual(received(sockets, "room-msg"), [[], [[1, { x: "y" }]], [[1, { x: "y" }]], []]);
        // the sender is included when it is in the room (io.to, not socket.to)
        b.emit("to-room", room, "room-msg", 2);
        await ack(c, "leave", room);
        await marker(b, all, sockets);
        assert.deepEqual(received(sockets, "room-msg")[1].at(-1), [2], "the sender got its own io.to(room) message");
        b.emit("to-room", room, "room-msg", 3);
        await marker(b, all, sockets);
        assert.ok(!c.log.argsOf("room-msg").some((a) => a[0] === 3), "no message after leaving");
        assert.deepEqual(d.log.argsOf("room-msg"), []);
      });

      sioRule(`${mode}: to(room).except(room2) skips the members of room2`, async () => {
        const { sockets, all } = await group(server, mode, 4);
        const [a, b, c] = sockets;
        const [room, except] = [unique("room"), unique("except")];
        for (const s of [a, b, c]) await ack(s, "join", room);
        await ack(c, "join", except);
        a.emit("to-room-except", room, except, "room-msg", "hi");
        await marker(a, all, sockets);
        assert.deepEqual(received(sockets, "room-msg"), [[["hi"]], [["hi"]], [], []]);
      });

      sioRule(`${mode}: socket.to(room) and socket.broadcast exclude the sender`, async () => {
        const { sockets, all } = await group(server, mode, 3);
        const [a, b, c] = sockets;
        const room = unique("room");
        for (const s of sockets) await ack(s, "join", room);
        a.emit("socket-to-room", room, "room-msg", "from-a");
        a.emit("broadcast", "bcast", 1, Buffer.from([1]));
        await marker(a, all, sockets);
        assert.deepEqual(received(sockets, "room-msg"), [[], [["from-a"]], [["from-a"]]]);
        assert.equal(a.log.of("broadcast").length, 0, "the sender does not get its socket.broadcast");
        for (const s of [b, c]) {
          const got = s.log.argsOf("broadcast");
          assert.equal(got.length, 1);
          assert.deepEqual(got[0].slice(0, 2), ["bcast", 1]);
          assert.deepEqual([...Buffer.from(got[0][2])], [1]);
        }
      });

      sioRule(`${mode}: a message to a socket id reaches that socket only`, async () => {
        const { sockets, all } = await group(server, mode, 3);
        const [a, b, c] = sockets;
        a.emit("send-to", b.id, "secret", { n: 1 });
        await marker(a, all, sockets);
        assert.deepEqual(received(sockets, "private"), [[], [["secret", { n: 1 }]], []]);
        c.emit("send-to", c.id, "self");
        assert.deepEqual((await c.log.first("private")).args, ["self"]);
      });

      sioRule(`${mode}: fetchSockets lists the sockets of a room with their rooms`, async () => {
        const { sockets, all } = await group(server, mode, 3);
        const [a, b, c] = sockets;
        const room = unique("room");
        await ack(a, "join", room);
        await ack(b, "join", room);
        const list = await ack1(c, "fetch-sockets", room);
        const byId = Object.fromEntries(list.map((e) => [e.id, e.rooms.sort()]));
        assert.deepEqual(byId, { [a.id]: [a.id, all, room].sort(), [b.id]: [b.id, all, room].sort() });
        assert.deepEqual(await ack1(c, "fetch-sockets", unique("empty")), []);
        assert.equal((await ack1(c, "fetch-sockets", all)).length, 3);
      });

      sioRule(`${mode}: a broadcast with an ack collects one response per client`, async () => {
        const { sockets, all } = await group(server, mode, 3);
        for (const s of sockets) s.on("bcast-ack", (cb) => cb(s.id));
        const [result] = await ack(sockets[0], "broadcast-ack", all, 2000);
        assert.equal(result.error, undefined);
        assert.deepEqual(result.responses.sort(), sockets.map((s) => s.id).sort());
      });

      sioRule(`${mode}: a broadcast ack that times out reports the error and the partial responses`, async () => {
        const { sockets, all } = await group(server, mode, 3);
        const [a, b, c] = sockets;
        for (const s of [a, b]) s.on("bcast-ack", (cb) => cb(s.id));
        let silentAsked = 0;
        c.on("bcast-ack", () => silentAsked++); // never answers
        const t0 = Date.now();
        const [result] = await ack(a, "broadcast-ack", all, 300);
        assert.ok(Date.now() - t0 >= 280, "waited for the timeout");
        assert.equal(typeof result.error, "string");
        assert.deepEqual(result.responses.sort(), [a.id, b.id].sort());
        assert.equal(silentAsked, 1);
      });
    });
  }
});
