// PROTOCOL.md §3 — handshake.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { rule, useServer } from "../lib/harness.mjs";
import { engineWs } from "../lib/ws.mjs";
import { handshake } from "../lib/engine.mjs";

const OPEN_KEYS = ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"];

async function wsOpen(server) {
  const ws = engineWs(server);
  await ws.opened;
  const first = await ws.next();
  return { ws, first };
}

describe("§3 handshake (default options)", () => {
  const server = useServer();

  rule("3.1 a GET without sid opens a session whose open packet has exactly sid, upgrades, pingInterval, pingTimeout, maxPayload", async () => {
    const { open, res } = await handshake(server);
    assert.equal(res.text, "0" + JSON.stringify(open), "the handshake response holds only the open packet, as compact JSON");
    assert.deepEqual(Object.keys(open).sort(), OPEN_KEYS);
    assert.equal(typeof open.sid, "string");
    assert.ok(Array.isArray(open.upgrades));
    for (const k of ["pingInterval", "pingTimeout", "maxPayload"]) assert.ok(Number.isInteger(open[k]), `${k} is an integer`);
  });

  rule("3.2 upgrades is [\"websocket\"] for a polling session and [] for a WebSocket session", async () => {
    const { open } = await handshake(server);
    assert.deepEqual(open.upgrades, ["websocket"]);
    const { first } = await wsOpen(server);
    const wsOpenPacket = JSON.parse(first.data.slice(1));
    assert.deepEqual(wsOpenPacket.upgrades, []);
  });

  rule("3.3 a WebSocket-only session gets the open packet as the first text frame after the 101", async () => {
    const { ws, first } = await wsOpen(server);
    assert.equal(first.binary, false);
    assert.match(first.data, /^0\{/);
    const open = JSON.parse(first.data.slice(1));
    assert.deepEqual(Object.keys(open).sort(), OPEN_KEYS);
    assert.equal(ws.frames.length, 1);
    // the session works
    await ws.send("4ws-only");
    assert.equal(await ws.nextText(), "4ws-only");
  });

  rule("3.4 the sid is a URL-safe string, unique per session", async () => {
    const sids = new Set();
    const results = await Promise.all(Array.from({ length: 40 }, () => handshake(server)));
    for (const { sid } of results) sids.add(sid);
    for (let i = 0; i < 10; i++) {
      const { ws, first } = await wsOpen(server);
      sids.add(JSON.parse(first.data.slice(1)).sid);
      ws.terminate();
    }
    assert.equal(sids.size, 50, "every session got its own sid");
    for (const sid of sids) {
      // REF uses base64id: 20 characters of [A-Za-z0-9_-]; any URL-safe id of sane length is fine
      assert.match(sid, /^[A-Za-z0-9_-]+$/, `sid ${sid} is not URL-safe`);
      assert.ok(sid.length >= 16 && sid.length <= 64, `sid ${sid} has length ${sid.length}`);
    }
  });

  rule("3.5 defaults: pingInterval 25000, pingTimeout 20000, maxPayload 1000000", async () => {
    const { open } = await handshake(server);
    assert.equal(open.pingInterval, 25000);
    assert.equal(open.pingTimeout, 20000);
    assert.equal(open.maxPayload, 1000000);
  });
});

describe("§3 handshake (configured options)", () => {
  const server = useServer(["--ping-interval", "1234", "--ping-timeout", "567", "--max-payload", "8910"]);

  rule("3.5 pingInterval, pingTimeout and maxPayload are options, announced in the open packet", async () => {
    const { open } = await handshake(server);
    assert.equal(open.pingInterval, 1234);
    assert.equal(open.pingTimeout, 567);
    assert.equal(open.maxPayload, 8910);
    const { first } = await wsOpen(server);
    const o = JSON.parse(first.data.slice(1));
    assert.deepEqual([o.pingInterval, o.pingTimeout, o.maxPayload], [1234, 567, 8910]);
  });
});
