// socket.io-client 4.8 interop: io.drain(deadline), sio's graceful drain for deploys (no Node
// counterpart). A drain refuses new clients (handshake 503, readiness 503), lets every ack still
// pending either way arrive, then closes each client's transport without a Socket.IO DISCONNECT
// (the client sees "transport close" and would reconnect elsewhere), and the server's io_context
// runs out of work: the fixture exits by itself, status 0.
//
// Each test drains its own fixture, so each starts one (a drained server is gone).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { startSioServer, MODES, connect, ack, ackWithin, withTimeout } from "../lib/sio.mjs";
import { request } from "../lib/http.mjs";

const servers = [];
after(async () => {
  for (const s of servers) if (s.alive) await s.stop();
});

async function fixture(args = []) {
  const server = await startSioServer(["--readiness", "/ready", ...args]);
  servers.push(server);
  return server;
}

/** The fixture ended on its own after the drain: status 0, "drained" said, no sanitizer report. */
async function drainedAndExited(server, within = 10_000) {
  const { code, signal } = await withTimeout(server.exited, within, "the fixture did not exit after its drain");
  assert.equal(code, 0, `exit code ${code}, signal ${signal}\n${server.stderr}`);
  assert.match(server.stderr, /sio_fixture: drained/);
  assert.equal(server.sanitizerReports, 0, server.sanitizerReport(0));
}

/** Resolves with the reason of the socket's next disconnect. */
const disconnected = (s, timeout = 8000) => s.log.next("disconnect", timeout).then((e) => e.args[0]);

/** GET (or HEAD) of the readiness path: { status, body }. */
async function readiness(server, method = "GET") {
  const res = await fetch(`${server.url}/ready`, { method });
  return { status: res.status, body: await res.text() };
}

/** A polling handshake without a session, as a new client sends it. */
const handshake = (server) => request(server, { query: { EIO: "4", transport: "polling" } });

describe("socket.io-client 4.8 interop: io.drain", () => {
  for (const mode of Object.keys(MODES)) {
    test(`${mode}: an ack the server owes arrives before the transport closes, without DISCONNECT`, async () => {
      const server = await fixture();
      const waiting = await connect(server, { mode });
      const idle = await connect(server, { mode });
      const control = await connect(server, { mode: "websocket" }); // starts the drain
      assert.equal((await readiness(server)).status, 200);

      const gone = disconnected(waiting);
      const idleGone = disconnected(idle);
      const reply = ackWithin(8000, waiting, "slow-ack", 400, { n: 7 });
      // The ack is being prepared on the server (its timer runs) when the drain starts.
      await new Promise((r) => setTimeout(r, 50));
      control.emit("drain", 20_000);

      // The idle client goes at once; the other gets its ack first, then its transport closes.
      assert.equal(await idleGone, "transport close");
      assert.equal(waiting.log.of("disconnect").length, 0, "closed before its ack");
      assert.deepEqual(await reply, [{ n: 7 }]);
      assert.equal(await gone, "transport close");
      assert.equal(waiting.log.of("disconnect").length, 1);
      await drainedAndExited(server);
    });
  }

  test("an ack the server waits for is delivered to it before the client is closed", async () => {
    const server = await fixture();
    const s = await connect(server, { mode: "websocket" });
    // The server emits "ping-ack" with an ack and answers "server-ack" with what came back.
    s.on("ping-ack", (...args) => {
      const cb = args.pop();
      setTimeout(() => cb("pong", ...args), 300);
    });
    const gone = disconnected(s);
    const reply = ackWithin(8000, s, "server-ack", 5000, "x");
    await s.log.first("ping-ack");
    s.emit("drain", 20_000);
    assert.deepEqual(await reply, [{ args: ["pong", "x"] }]);
    assert.equal(await gone, "transport close");
    await drainedAndExited(server);
  });

  test("an ack the application dropped unsent does not hold the drain", async () => {
    const server = await fixture();
    const s = await connect(server, { mode: "websocket" });
    s.emit("drop-ack", () => assert.fail("a dropped ack was sent"));
    const gone = disconnected(s);
    const started = Date.now();
    s.emit("drain", 60_000);
    assert.equal(await gone, "transport close");
    await drainedAndExited(server, 20_000);
    assert.ok(Date.now() - started < 30_000, "the drain waited for its deadline");
  });

  test("the deadline closes a client whose ack never comes", async () => {
    const server = await fixture();
    const s = await connect(server, { mode: "polling" });
    s.emit("hold-ack", () => assert.fail("a held ack was sent"));
    await ack(s, "rooms"); // the held ack's handler ran before this one's
    const gone = disconnected(s);
    const started = Date.now();
    s.emit("drain", 600);
    assert.equal(await gone, "transport close");
    assert.ok(Date.now() - started >= 600, `closed after ${Date.now() - started} ms, before the deadline`);
    await drainedAndExited(server);
  });

  test("new clients are refused with 503 and readiness fails as soon as the drain starts", async () => {
    const server = await fixture();
    const s = await connect(server, { mode: "websocket" });
    s.emit("hold-ack", () => {});
    await ack(s, "rooms");
    assert.equal((await handshake(server)).status, 200);
    s.emit("drain", 4000);
    // The drain has started once the server has read "drain": wait for it through readiness,
    // polled a bounded number of times.
    let ready;
    for (let i = 0; i < 100; i++) {
      ready = await readiness(server);
      if (ready.status === 503) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(ready, { status: 503, body: "draining\n" });
    assert.equal((await readiness(server, "HEAD")).status, 503);
    const refused = await handshake(server);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers["retry-after"], "1");
    // The client still connected is closed at the deadline; its session's requests were served.
    assert.equal(await disconnected(s), "transport close");
    await drainedAndExited(server);
  });

  test("with connection state recovery, a drained socket's session is kept (recoverable close)", async () => {
    const server = await fixture(["--recovery", "5000"]);
    const s = await connect(server, { mode: "websocket" });
    const obs = await connect(server, { mode: "websocket" });
    await ack(obs, "join", "observers");
    const seen = obs.log.until(() => obs.log.argsOf("peer-disconnect").find(([p]) => p.id === s.id), 8000, "no peer-disconnect");
    obs.emit("hold-ack", () => {}); // keeps the observer until the deadline, to hear the others
    await ack(obs, "rooms");
    obs.emit("drain", 3000);
    const [p] = await seen;
    assert.equal(p.reason, "server shutting down");
    await drainedAndExited(server);
  });

  test("readiness is off unless asked for", async () => {
    const server = await startSioServer([]);
    servers.push(server);
    assert.equal((await readiness(server)).status, 404);
  });
});
