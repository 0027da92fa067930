// PROTOCOL.md §10 — namespaces, CONNECT, auth, middleware, connect timeout; raw bytes on an
// Engine.IO WebSocket (and polling for the connect timeout).
import assert from "node:assert/strict";
import { describe } from "node:test";
import { sioRule, useSioServer, rawSio, rawConnected } from "../lib/sio.mjs";
import { handshake, expectSidGone, poll } from "../lib/engine.mjs";

describe("§10 namespaces, CONNECT, auth", () => {
  const server = useSioServer();

  sioRule("10.1 no implicit connect: a packet other than CONNECT before any namespace is joined closes (4abc, an event, an ack, a disconnect)", async () => {
    for (const p of ["abc", '2["echo"]', '21["echo-ack"]', "31[]", "1", '2/custom,["echo"]']) {
      const s = await rawSio(server);
      await s.send(p);
      const { frames } = await s.expectClosed(3000, `${JSON.stringify(p)} before CONNECT did not close`);
      assert.ok(!frames.some((f) => typeof f === "string" && f.startsWith("4")), `no reply to ${p}: ${JSON.stringify(frames)}`);
    }
  });

  sioRule("10.2 the CONNECT reply holds only sid; every namespace gets its own socket id", async () => {
    const s = await rawSio(server);
    const root = await s.connect("/");
    const custom = await s.connect("/custom");
    const dyn = await s.connect("/dyn-42");
    assert.equal(new Set([root, custom, dyn, s.sid]).size, 4, "socket ids are distinct from each other and from the Engine.IO sid");
    for (const [nsp, id] of [["/", root], ["/custom", custom], ["/dyn-42", dyn]]) {
      const prefix = nsp === "/" ? "" : `${nsp},`;
      await s.send(`2${prefix}1["whoami"]`);
      assert.equal(await s.nextText(), `3${prefix}1[{"id":"${id}","nsp":"${nsp}"}]`);
    }
  });

  sioRule("10.3 the CONNECT payload is handshake.auth, {} when absent", async () => {
    const s = await rawSio(server);
    await s.connect("/", { token: "abc", n: 1, nested: { list: [1, "2"] } });
    await s.send('21["handshake"]');
    const reply = await s.nextText();
    assert.ok(reply.startsWith("31["), reply);
    assert.deepEqual(JSON.parse(reply.slice(2))[0].auth, { token: "abc", n: 1, nested: { list: [1, "2"] } });

    await s.connect("/custom");
    await s.send('2/custom,2["handshake"]');
    const reply2 = await s.nextText();
    assert.ok(reply2.startsWith("3/custom,2["), reply2);
    assert.deepEqual(JSON.parse(reply2.slice("3/custom,2".length))[0].auth, {});
  });

  sioRule("10.4 unknown namespace: exactly 44/random,{\"message\":\"Invalid namespace\"}, and the connection stays open", async () => {
    const s = await rawSio(server);
    await s.send("0/random");
    assert.equal(await s.nextText(), '4/random,{"message":"Invalid namespace"}');
    await s.send("0/dyn-abc,");
    assert.equal(await s.nextText(), '4/dyn-abc,{"message":"Invalid namespace"}');
    // still usable: join / and work
    await s.connect("/");
    await s.assertAlive();
  });

  sioRule("10.5 middleware rejection: 44/auth,{\"message\":...,\"data\":...}; data omitted when undefined; the connection stays open", async () => {
    const s = await rawSio(server);
    await s.send('0/auth,{"token":"wrong"}');
    assert.equal(await s.nextText(), '4/auth,{"message":"not authorized","data":{"reason":"bad token"}}');
    await s.send("0/auth,");
    assert.equal(await s.nextText(), '4/auth,{"message":"not authorized","data":{"reason":"bad token"}}');
    await s.send("0/refuse,");
    assert.equal(await s.nextText(), '4/refuse,{"message":"refused"}');
    // a retry with the right token on the same connection succeeds
    await s.connect("/auth", { token: "secret" });
    await s.assertAlive({ nsp: "/auth" });
  });

  sioRule("10.6 CONNECT to a namespace that is already connected closes the connection", async () => {
    const s = await rawConnected(server);
    await s.send("0");
    await s.expectClosed(3000, "a duplicate CONNECT / did not close");

    const s2 = await rawConnected(server);
    await s2.connect("/custom");
    await s2.send("0/custom,");
    await s2.expectClosed(3000, "a duplicate CONNECT /custom did not close");
  });

  sioRule("10.7 a packet for a namespace not joined closes the connection", async () => {
    for (const p of ['2/custom,["echo"]', '2/custom,1["echo-ack"]', "3/custom,1[]", "1/custom,", '2/random,["echo"]']) {
      const s = await rawConnected(server);
      await s.send(p);
      const { frames } = await s.expectClosed(3000, `${JSON.stringify(p)} for a namespace not joined did not close`);
      assert.ok(!frames.some((f) => typeof f === "string" && /^[23]/.test(f)), `not processed: ${JSON.stringify(frames)}`);
    }
  });

  sioRule("10.7 an event for a namespace whose CONNECT is still in its middleware closes the connection", async () => {
    const s = await rawSio(server);
    await s.send("0/slow-mw,");
    await s.send('2/slow-mw,["echo"]');
    await s.expectClosed(3000, "an event before the CONNECT reply did not close");
  });

  sioRule("10.8 async middleware: the CONNECT reply comes after all middlewares, in order, then the connection handler's emit", async () => {
    const s = await rawSio(server);
    const t0 = Date.now();
    await s.send("0/slow-mw,");
    const reply = await s.nextText();
    const elapsed = Date.now() - t0;
    assert.match(reply, /^0\/slow-mw,\{"sid":"[^"]+"\}$/);
    assert.ok(elapsed >= 90, `the CONNECT reply waited for the 100 ms middleware (${elapsed} ms)`);
    const { sid } = JSON.parse(reply.slice("0/slow-mw,".length));
    assert.equal(await s.nextText(), `2/slow-mw,["welcome",{"id":"${sid}","mw":["slow","fast"]}]`);
  });

  sioRule("10.9 several namespaces share one connection and stay independent", async () => {
    const s = await rawSio(server);
    await s.connect("/");
    await s.connect("/custom");
    await s.connect("/auth", { token: "secret" });
    await s.send('2["echo","root"]');
    await s.send('2/custom,["echo","custom"]');
    await s.send('2/auth,["echo","auth"]');
    assert.deepEqual([await s.nextText(), await s.nextText(), await s.nextText()], [
      '2["echo","root"]',
      '2/custom,["echo","custom"]',
      '2/auth,["echo","auth"]',
    ]);
    // leaving one namespace leaves the others
    await s.send("1/custom,");
    await s.assertAlive();
    await s.assertAlive({ nsp: "/auth" });
  });
});

// Pings every 1000 ms: a ping is a marker that comes after the connect timeout (500 ms) has passed.
const CONNECT_TIMEOUT_PING_INTERVAL = 1000;

describe("§10 connect timeout (--connect-timeout 500)", () => {
  const server = useSioServer(["--connect-timeout", "500", "--ping-interval", String(CONNECT_TIMEOUT_PING_INTERVAL), "--ping-timeout", "5000"]);

  sioRule("10.10 no CONNECT within connectTimeout closes the Engine.IO session (WebSocket)", async () => {
    const s = await rawSio(server);
    const t0 = s.ws.openedAt;
    const { at } = await s.expectClosed(3000, "a client that never sent CONNECT was not closed");
    const elapsed = at - t0;
    assert.ok(elapsed >= 400 && elapsed < 2500, `closed ${elapsed} ms after the open (connect timeout 500 ms)`);
  });

  sioRule("10.10 no CONNECT within connectTimeout closes the Engine.IO session (polling)", async () => {
    const { sid, openedAt } = await handshake(server);
    const res = await poll(server, sid, { timeout: 3000 });
    assert.equal(`${res.status} ${res.text}`, "200 1", "the pending GET is answered with a close packet");
    const elapsed = res.at - openedAt;
    assert.ok(elapsed >= 400 && elapsed < 2500, `closed ${elapsed} ms after the open (connect timeout 500 ms)`);
    await expectSidGone(server, sid);
  });

  sioRule("10.10 a refused CONNECT does not disarm the connect timeout", async () => {
    const s = await rawSio(server);
    await s.send("0/random,");
    assert.equal(await s.nextText(), '4/random,{"message":"Invalid namespace"}');
    await s.send("0/refuse,");
    assert.equal(await s.nextText(), '4/refuse,{"message":"refused"}');
    await s.expectClosed(3000, "a client without a namespace was not closed at the connect timeout");
  });

  sioRule("10.10 a CONNECT in time disarms the connect timeout, even if the client leaves the namespace later", async () => {
    const s = await rawSio(server);
    await s.connect("/");
    const left = await rawSio(server);
    await left.connect("/custom");
    await left.send("1/custom,");
    // the first ping comes twice the connect timeout after the open: both connections get it, open
    for (const [conn, what] of [[s, "a connected client"], [left, "a client that joined and left"]]) {
      const f = await conn.ws.next(CONNECT_TIMEOUT_PING_INTERVAL * 3);
      assert.deepEqual([f.binary, f.data], [false, "2"], `${what}: the next frame is the first ping`);
      assert.ok(f.at - conn.ws.openedAt >= CONNECT_TIMEOUT_PING_INTERVAL - 100, `${what}: pinged ${f.at - conn.ws.openedAt} ms after the open`);
    }
    await s.assertAlive({ id: 1 });
    await left.connect("/"); // usable: it can join a namespace again
    await left.assertAlive({ id: 1 });
  });
});
