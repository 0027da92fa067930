// PROTOCOL.md §4 — packets and encoding.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { rule, useServer } from "../lib/harness.mjs";
import { engineWs } from "../lib/ws.mjs";
import { handshake, poll, post, postOk, pollMessages, expectSidGone, decodePayload, SEP } from "../lib/engine.mjs";

async function wsSession(server) {
  const ws = engineWs(server);
  await ws.opened;
  const open = JSON.parse((await ws.nextText()).slice(1));
  return { ws, sid: open.sid };
}

describe("§4 packets and encoding", () => {
  const server = useServer(["--ping-interval", "400", "--ping-timeout", "2000"]);

  rule("4.1 packet types: server open 0 / ping 2 / message 4; client pong 3 / message 4 accepted", async () => {
    const { sid, res } = await handshake(server);
    assert.equal(res.text[0], "0");
    const ping = await poll(server, sid);
    assert.equal(ping.text, "2", "the first thing after the open (nothing else queued) is a ping");
    await postOk(server, sid, "3");
    await postOk(server, sid, "4message");
    assert.deepEqual((await pollMessages(server, sid)).map((p) => p.raw), ["4message"]);

    const { ws } = await wsSession(server);
    assert.equal(await ws.nextText(), "2");
    await ws.send("3");
    await ws.send("4message");
    assert.equal(await ws.nextText(), "4message");
  });

  rule("4.2 polling payload: packets joined by \\x1e; a binary message is b + base64 with no 4", async () => {
    const { sid } = await handshake(server);
    await postOk(server, sid, "4hello" + SEP + "bAQIDBA==");
    const res = await poll(server, sid);
    assert.equal(res.status, 200);
    const packets = decodePayload(res.text).filter((p) => p.type !== "2");
    assert.deepEqual(packets.map((p) => p.raw), ["4hello", "bAQIDBA=="]);
    assert.deepEqual([...packets[1].data], [1, 2, 3, 4]);

    // every byte value survives the base64 round trip
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await postOk(server, sid, "b" + all.toString("base64"));
    const back = await pollMessages(server, sid);
    assert.equal(back[0].type, "binary");
    assert.ok(back[0].data.equals(all));
  });

  rule("4.3 packets queued while no GET is pending go out together in one GET response", async () => {
    const { sid } = await handshake(server);
    await postOk(server, sid, "4burst:5");
    const res = await poll(server, sid);
    const raws = decodePayload(res.text)
      .filter((p) => p.type !== "2")
      .map((p) => p.raw);
    assert.deepEqual(raws, ["4burst-0", "4burst-1", "4burst-2", "4burst-3", "4burst-4"], `GET body was ${JSON.stringify(res.text)}`);
  });

  rule("4.4 WebSocket: one packet per frame; a binary frame is the raw bytes with no type prefix", async () => {
    const { ws } = await wsSession(server);
    const bytes = Buffer.from([0, 1, 2, 3, 0xfe, 0xff, 0x34]);
    await ws.send(bytes);
    const f = await ws.nextNonPing();
    assert.equal(f.binary, true);
    assert.ok(f.data.equals(bytes), `got ${f.data.toString("hex")}`);
    await ws.send("4text");
    const t = await ws.nextNonPing();
    assert.equal(t.binary, false);
    assert.equal(t.data, "4text");
    await ws.send("4burst:3");
    const frames = [];
    while (frames.length < 3) {
      frames.push((await ws.nextNonPing()).data);
    }
    assert.deepEqual(frames, ["4burst-0", "4burst-1", "4burst-2"]);
    // an empty binary message is still a message
    await ws.send(Buffer.alloc(0));
    const e = await ws.nextNonPing();
    assert.equal(e.binary, true);
    assert.equal(e.data.length, 0);
  });

  rule("4.5 polling: an unknown type char, an empty packet or an empty payload is a parse error that closes the session", async () => {
    for (const payload of ["9abc", "x", "", "4ok" + SEP + SEP + "4after", "4ok" + SEP, "7"]) {
      const { sid } = await handshake(server);
      // PROTOCOL.md §4 allows 400 or `ok` for the POST itself; the reference answers `ok`
      const res = await post(server, sid, payload);
      assert.equal(`${res.status} ${res.text}`, "200 ok", `${JSON.stringify(payload)}: POST got ${res.status} ${res.text}`);
      await expectSidGone(server, sid);
    }
  });

  rule("4.5 polling: a b packet that is not valid base64 is a parse error that closes the session", async () => {
    for (const payload of ["b!!!!", "bAQID*A==", "4ok" + SEP + "b@@@"]) {
      const { sid } = await handshake(server);
      // answered like the other parse errors (the reference answers `ok` to those)
      const res = await post(server, sid, payload);
      assert.equal(`${res.status} ${res.text}`, "200 ok", `${JSON.stringify(payload)}: POST got ${res.status} ${res.text}`);
      await expectSidGone(server, sid);
    }
  });

  rule("4.5 WebSocket: an unknown type char or an empty frame is a parse error that closes the session", async () => {
    for (const frame of ["9abc", "x", "", "7"]) {
      const { ws, sid } = await wsSession(server);
      await ws.send(frame);
      await ws.waitClosed(2000);
      await expectSidGone(server, sid);
    }
  });

  rule("4.6 WS: a text frame starting with b is not a binary message (b is polling-only)", async () => {
    const { ws } = await wsSession(server);
    await ws.send("bAQIDBA==");
    for (;;) {
      const f = await ws.nextOrClose(2000);
      if (f === null) break; // closed as a parse error
      assert.ok(!f.binary, "the server took it for a binary message and echoed it");
      assert.equal(f.data, "2", `unexpected frame ${f.data}`);
    }
  });
});
