// Interop with the official socket.io-client 4.8 in its three transport modes (WebSocket only,
// polling only, polling upgraded to WebSocket): handshake data, argument types, binary, acks
// both ways, ordering, large payloads.
import assert from "node:assert/strict";
import { describe } from "node:test";
import {
  sioRule,
  useSioServer,
  MODES,
  connect,
  ack,
  ack1,
  ackWithin,
  bytes,
  asBuffer,
  normaliseBinary,
} from "../lib/sio.mjs";

/** Every JSON type, non-ASCII text, awkward numbers, nesting with a deliberate key order. */
const ARGS = [
  "plain",
  "",
  "héllo wörld",
  "你好，世界",
  "emoji 😀🎉👩‍👩‍👧",
  "escapes \" \\ / \n \t \u0001",
  0,
  -1,
  42,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  2 ** 31,
  2 ** 32 + 1,
  3.14159,
  -0.001,
  1e-7,
  1.5e300,
  true,
  false,
  null,
  [],
  {},
  [1, "two", [3, [4, [5]]], { six: 6 }],
  { zeta: 1, alpha: { yankee: true, bravo: [null, { x: "y" }] }, mike: "m", "key with spaces": 1, é: "accent" },
];

describe("socket.io-client 4.8 interop", () => {
  const server = useSioServer();

  for (const mode of Object.keys(MODES)) {
    describe(mode, () => {
      sioRule(`${mode}: connects to / with auth, query and headers seen by the server`, async () => {
        const auth = { token: "abc", n: 1, nested: { ok: true, list: [1, "2"] } };
        const socket = await connect(server, { mode, auth, query: { foo: "bar" }, extraHeaders: { "x-test": "hello" } });
        assert.ok(socket.id, "socket.id set from the CONNECT reply");
        assert.notEqual(socket.id, socket.io.engine.id, "socket id ≠ Engine.IO sid");
        assert.deepEqual(await ack1(socket, "whoami"), { id: socket.id, nsp: "/" });
        const hs = await ack1(socket, "handshake");
        assert.deepEqual(hs.auth, auth);
        assert.equal(hs.query.foo, "bar");
        assert.equal(hs.query.EIO, "4");
        assert.equal(hs.query.transport, MODES[mode].transports[0], "query of the first request");
        assert.equal(hs.headers["x-test"], "hello");
        assert.equal(hs.address, "127.0.0.1");
        assert.equal(hs.secure, false);
        assert.ok(hs.url.startsWith("/socket.io/?"), `handshake url ${hs.url}`);
      });

      sioRule(`${mode}: events carry every argument type, key order preserved, both ways`, async () => {
        const socket = await connect(server, { mode });
        socket.emit("echo", ...ARGS);
        const { args } = await socket.log.first("echo");
        assert.deepEqual(args, ARGS);
        assert.equal(JSON.stringify(args), JSON.stringify(ARGS), "same key order");
      });

      sioRule(`${mode}: events with no arguments and with many arguments`, async () => {
        const socket = await connect(server, { mode });
        socket.emit("echo");
        assert.deepEqual((await socket.log.nth("echo", 1)).args, []);
        const many = Array.from({ length: 50 }, (_, i) => (i % 2 ? i : `arg${i}`));
        socket.emit("echo", ...many);
        assert.deepEqual((await socket.log.nth("echo", 2)).args, many);
      });

      sioRule(`${mode}: binary nested in objects and arrays, several attachments, both ways`, async () => {
        const socket = await connect(server, { mode });
        const big = bytes(100_000, 7);
        const payload = {
          buf: Buffer.from([1, 2, 3]),
          u8: new Uint8Array([250, 251, 252]),
          empty: Buffer.alloc(0),
          list: [bytes(10, 1), "text", { deep: [bytes(3, 2), 5] }],
          big,
        };
        socket.emit("echo", "label", payload, [Buffer.from("second arg")], new Uint8Array([9]));
        const { args } = await socket.log.first("echo");
        assert.equal(args.length, 4);
        assert.equal(args[0], "label");
        assert.deepEqual(normaliseBinary(args[1]), normaliseBinary(payload));
        assert.ok(asBuffer(args[1].big).equals(big));
        assert.deepEqual(normaliseBinary(args[2]), [Buffer.from("second arg")]);
        assert.deepEqual(normaliseBinary(args[3]), Buffer.from([9]));
      });

      sioRule(`${mode}: client→server ack returns all the arguments, binary included`, async () => {
        const socket = await connect(server, { mode });
        assert.deepEqual(await ack(socket, "echo-ack", ...ARGS), ARGS);
        assert.deepEqual(await ack(socket, "echo-ack"), []);
        const res = await ack(socket, "echo-ack", { b: Buffer.from([0, 255]) }, [new Uint8Array([1])], "s");
        assert.deepEqual(normaliseBinary(res), [{ b: Buffer.from([0, 255]) }, [Buffer.from([1])], "s"]);
        // emitWithAck (promise form) gets the first argument
        assert.equal(await socket.timeout(5000).emitWithAck("echo-ack", "first", "second"), "first");
      });

      sioRule(`${mode}: server→client ack within the timeout delivers the client's arguments (binary too)`, async () => {
        const socket = await connect(server, { mode });
        socket.on("ping-ack", (...args) => {
          const cb = args.pop();
          cb("pong", ...args, Buffer.from([4, 2]));
        });
        const [result] = await ack(socket, "server-ack", 2000, "x", { y: [1] });
        assert.deepEqual(normaliseBinary(result), { args: ["pong", "x", { y: [1] }, Buffer.from([4, 2])] });
      });

      sioRule(`${mode}: server→client ack that is not answered times out with an error`, async () => {
        const socket = await connect(server, { mode });
        let asked = 0;
        socket.on("ping-ack", () => asked++); // never calls the ack
        const t0 = Date.now();
        const [result] = await ackWithin(3000, socket, "server-ack", 200);
        const elapsed = Date.now() - t0;
        assert.equal(asked, 1);
        assert.equal(typeof result.error, "string");
        assert.equal(result.args, undefined);
        assert.ok(elapsed >= 180, `timed out after ${elapsed} ms (timeout 200 ms)`);
      });

      sioRule(`${mode}: a burst of 1000 events keeps its order, both ways`, async () => {
        const socket = await connect(server, { mode });
        socket.emit("burst", 1000);
        await socket.log.nth("burst", 1000, 10_000);
        assert.deepEqual(
          socket.log.argsOf("burst").map((a) => a[0]),
          Array.from({ length: 1000 }, (_, i) => i),
        );
        for (let i = 0; i < 1000; i++) socket.emit("echo", i);
        await socket.log.nth("echo", 1000, 10_000);
        assert.deepEqual(
          socket.log.argsOf("echo").map((a) => a[0]),
          Array.from({ length: 1000 }, (_, i) => i),
        );
      });

      sioRule(`${mode}: large payloads both ways (500 kB text)`, async () => {
        const socket = await connect(server, { mode });
        const text = "é".repeat(250_000); // 500 kB of UTF-8, under the 1 MB default maxPayload
        assert.equal((await ack(socket, "echo-ack", text))[0], text);
        assert.equal((await ack1(socket, "big", 900_000)).length, 900_000);
      });
    });
  }
});
