// socket.io-client 4.8 interop: namespaces (multiplexing, dynamic), middleware (rejection with
// message and data, asynchronous middleware), in the three transport modes.
import assert from "node:assert/strict";
import { describe } from "node:test";
import {
  sioRule,
  useSioServer,
  MODES,
  manager,
  connect,
  createSocket,
  awaitConnect,
  assertTransport,
  connectError,
  ack,
  ack1,
  unique,
} from "../lib/sio.mjs";

describe("socket.io-client 4.8 interop: namespaces and middleware", () => {
  const server = useSioServer();

  for (const mode of Object.keys(MODES)) {
    describe(mode, () => {
      sioRule(`${mode}: several namespaces multiplexed over one Engine.IO connection stay independent`, async () => {
        const m = manager(server, mode);
        const names = ["/", "/custom", "/dyn-7", "/auth"];
        const sockets = names.map((nsp) =>
          createSocket(server, { manager: m, nsp, ...(nsp === "/auth" ? { auth: { token: "secret" } } : {}) }),
        );
        await Promise.all(sockets.map((s) => awaitConnect(s)));
        await assertTransport(sockets[0], mode);
        const engineIds = new Set(sockets.map((s) => s.io.engine.id));
        assert.equal(engineIds.size, 1, "one Engine.IO session");
        assert.equal(new Set(sockets.map((s) => s.id)).size, names.length, "one socket id per namespace");
        for (const [i, s] of sockets.entries()) {
          assert.deepEqual(await ack1(s, "whoami"), { id: s.id, nsp: names[i] });
        }
        // an event goes to its own namespace only
        for (const [i, s] of sockets.entries()) s.emit("echo", names[i]);
        for (const [i, s] of sockets.entries()) {
          assert.deepEqual((await s.log.first("echo")).args, [names[i]]);
        }
        // leaving one namespace keeps the others and the connection
        sockets[1].disconnect();
        for (const s of [sockets[0], sockets[2], sockets[3]]) {
          assert.deepEqual(await ack(s, "echo-ack", "still"), ["still"]);
        }
        for (const s of sockets) assert.equal(s.log.of("echo").length, 1, `${s.nsp}: no stray echo`);
        assert.equal(sockets[0].io.engine.id, [...engineIds][0], "same Engine.IO session");
      });

      sioRule(`${mode}: a dynamic namespace matching /^\\/dyn-\\d+$/ connects and reports its own name`, async () => {
        for (const nsp of ["/dyn-1", "/dyn-20250101"]) {
          const s = await connect(server, { mode, nsp });
          assert.deepEqual(await ack1(s, "whoami"), { id: s.id, nsp });
          assert.deepEqual(await ack(s, "echo-ack", nsp, 1), [nsp, 1]);
        }
        const err = await connectError(server, { mode, nsp: "/dyn-x" });
        assert.equal(err.message, "Invalid namespace");
      });

      sioRule(`${mode}: an unknown namespace is refused with connect_error "Invalid namespace"`, async () => {
        const err = await connectError(server, { mode, nsp: "/random" });
        assert.equal(err.message, "Invalid namespace");
        assert.equal(err.data, undefined);
      });

      sioRule(`${mode}: middleware rejection carries err.message and err.data; the right auth passes`, async () => {
        const bad = await connectError(server, { mode, nsp: "/auth", auth: { token: "wrong" } });
        assert.equal(bad.message, "not authorized");
        assert.deepEqual(bad.data, { reason: "bad token" });
        const none = await connectError(server, { mode, nsp: "/auth" });
        assert.equal(none.message, "not authorized");
        assert.deepEqual(none.data, { reason: "bad token" });
        const refused = await connectError(server, { mode, nsp: "/refuse" });
        assert.equal(refused.message, "refused");
        assert.equal(refused.data, undefined, "no data when the middleware error has none");
        const ok = await connect(server, { mode, nsp: "/auth", auth: { token: "secret" } });
        assert.deepEqual((await ack1(ok, "handshake")).auth, { token: "secret" });
      });

      sioRule(`${mode}: a refused namespace and an accepted one share a connection; the client can retry with new auth`, async () => {
        const m = manager(server, mode);
        const root = createSocket(server, { manager: m, nsp: "/" });
        const auth = createSocket(server, { manager: m, nsp: "/auth", auth: { token: "wrong" } });
        await awaitConnect(root);
        await assert.rejects(awaitConnect(auth), { message: "not authorized" });
        assert.deepEqual(await ack(root, "echo-ack", 1), [1], "the refusal did not disturb /");
        auth.auth = { token: "secret" };
        auth.connect();
        await awaitConnect(auth);
        assert.equal(auth.io.engine.id, root.io.engine.id, "retried on the same Engine.IO connection");
        assert.deepEqual(await ack1(auth, "whoami"), { id: auth.id, nsp: "/auth" });
      });

      sioRule(`${mode}: asynchronous middleware delays the connect, runs in order, and emits sent meanwhile arrive in order`, async () => {
        const t0 = Date.now();
        const s = createSocket(server, { mode, nsp: "/slow-mw" });
        const tag = unique("early");
        for (let i = 0; i < 5; i++) s.emit("echo", tag, i); // buffered by the client until connected
        await awaitConnect(s, { mode });
        assert.ok(Date.now() - t0 >= 90, "connect waited for the 100 ms middleware");
        const welcome = await s.log.first("welcome");
        assert.deepEqual(welcome.args, [{ id: s.id, mw: ["slow", "fast"] }]);
        await s.log.nth("echo", 5);
        assert.deepEqual(s.log.argsOf("echo"), [0, 1, 2, 3, 4].map((i) => [tag, i]));
        const connectIdx = s.log.all.findIndex((e) => e.event === "connect");
        const welcomeIdx = s.log.all.findIndex((e) => e.event === "welcome");
        assert.ok(connectIdx >= 0 && connectIdx < welcomeIdx, "welcome comes after the connect");
      });
    });
  }
});
