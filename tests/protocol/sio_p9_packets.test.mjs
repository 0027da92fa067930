// PROTOCOL.md §9 — Socket.IO packet format, exact bytes on a raw Engine.IO WebSocket (and polling
// for binary attachments). The fixture's `echo` emits its arguments back, `echo-ack` acks them.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { sioRule, useSioServer, rawSio, rawConnected } from "../lib/sio.mjs";
import { handshake, postOk, pollMessages, SEP } from "../lib/engine.mjs";

const ph = (num) => `{"_placeholder":true,"num":${num}}`;

/** On a fresh connection (connected to `/` unless connectFirst is false), `packets` must close it. */
async function assertCloses(server, packets, { connectFirst = true } = {}) {
  const s = connectFirst ? await rawConnected(server) : await rawSio(server);
  for (const p of [].concat(packets)) {
    if (Buffer.isBuffer(p)) await s.sendBinary(p);
    else await s.send(p);
  }
  const { frames } = await s.expectClosed(3000, `${JSON.stringify([].concat(packets).map(String))} did not close the connection`);
  for (const f of frames) {
    assert.ok(typeof f === "string" && !/^4[23]/.test(f), `no event/ack was processed before the close: got ${JSON.stringify(f)}`);
  }
}

describe("§9 Socket.IO packet format", () => {
  const server = useSioServer();

  sioRule("9.1 CONNECT to / is answered 40{\"sid\":...} holding only sid, distinct from the Engine.IO sid", async () => {
    const s = await rawSio(server);
    await s.send("0");
    const reply = await s.nextText();
    assert.match(reply, /^0\{"sid":"[^"]+"\}$/);
    const { sid } = JSON.parse(reply.slice(1));
    assert.notEqual(sid, s.sid, "the socket id is not the Engine.IO sid");
    // the id is the one the server uses for this socket
    await s.send('21["whoami"]');
    assert.equal(await s.nextText(), `31[{"id":"${sid}","nsp":"/"}]`);
  });

  sioRule("9.2 the namespace ends at ',' or at the end of the packet: 40/custom equals 40/custom,", async () => {
    for (const packet of ["0/custom", "0/custom,"]) {
      const s = await rawSio(server);
      await s.send(packet);
      const reply = await s.nextText();
      assert.match(reply, /^0\/custom,\{"sid":"[^"]+"\}$/, `reply to ${packet}`);
      const { sid } = JSON.parse(reply.slice("0/custom,".length));
      await s.send('2/custom,5["whoami"]');
      assert.equal(await s.nextText(), `3/custom,5[{"id":"${sid}","nsp":"/custom"}]`);
      s.close();
    }
  });

  sioRule("9.3 ack echo is byte-exact: 42456[\"echo-ack\",1,\"2\",{\"3\":[false]}] → 43456[1,\"2\",{\"3\":[false]}]", async () => {
    const s = await rawConnected(server);
    await s.send('2456["echo-ack",1,"2",{"3":[false]}]');
    assert.equal(await s.nextText(), '3456[1,"2",{"3":[false]}]');
    // no arguments: an empty array
    await s.send('20["echo-ack"]');
    assert.equal(await s.nextText(), "30[]");
    // a custom namespace is written before the id
    await s.connect("/custom");
    await s.send('2/custom,7["echo-ack","x"]');
    assert.equal(await s.nextText(), '3/custom,7["x"]');
    // an event without an id is not acked; `echo` emits back as EVENT
    await s.send('2["echo",{"a":[1,{"b":null}]}]');
    assert.equal(await s.nextText(), '2["echo",{"a":[1,{"b":null}]}]');
  });

  sioRule("9.4 JSON keeps the key order of objects", async () => {
    const s = await rawConnected(server);
    const payload = '{"z":1,"a":{"y":true,"b":[{"k2":0,"k1":1}]},"m":null,"é":"x"}';
    await s.send(`2["echo",${payload}]`);
    assert.equal(await s.nextText(), `2["echo",${payload}]`);
  });

  sioRule("9.4 JSON keeps the key order of objects, integer-like keys included", async () => {
    const s = await rawConnected(server);
    const payload = '{"b":1,"10":2,"a":3,"2":4}';
    await s.send(`21["echo-ack",${payload}]`);
    assert.equal(await s.nextText(), `31[${payload}]`);
  });

  sioRule("9.5 strings (non-ASCII, emoji, escapes) and numbers (negative, floats, 2^53-1) are echoed byte for byte", async () => {
    const s = await rawConnected(server);
    const args = [
      '"héllo wörld"',
      '"你好"',
      '"😀🎉"',
      '""',
      '"tab\\tnl\\nquote\\"back\\\\slash"',
      '"ctl\\u0001"',
      "0",
      "-1",
      "42",
      "9007199254740991",
      "-9007199254740991",
      "3.25",
      "-0.5",
      "0.1",
      "true",
      "false",
      "null",
      "[]",
      "{}",
      '[[[["deep"]]]]',
    ].join(",");
    await s.send(`23["echo-ack",${args}]`);
    assert.equal(await s.nextText(), `33[${args}]`);
    await s.send(`2["echo",${args}]`);
    assert.equal(await s.nextText(), `2["echo",${args}]`);
  });

  sioRule("9.6 binary event: 5N- header with placeholders, attachments as binary frames, echoed the same way", async () => {
    const s = await rawConnected(server);
    // one attachment nested in an object
    await s.send(`51-["echo",{"a":${ph(0)}}]`);
    await s.sendBinary(Buffer.from([1, 2, 3]));
    assert.equal(await s.nextText(), `51-["echo",{"a":${ph(0)}}]`);
    assert.deepEqual([...(await s.next())], [1, 2, 3]);

    // two attachments, in an array and an object, numbered depth-first; every byte value
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await s.send(`52-["echo",[${ph(0)},"x"],{"k":{"deep":${ph(1)}}}]`);
    await s.sendBinary(all);
    await s.sendBinary(Buffer.from("second"));
    assert.equal(await s.nextText(), `52-["echo",[${ph(0)},"x"],{"k":{"deep":${ph(1)}}}]`);
    assert.ok((await s.next()).equals(all));
    assert.equal((await s.next()).toString(), "second");

    // on a custom namespace: 5N-/nsp,
    await s.connect("/custom");
    await s.send(`51-/custom,["echo",${ph(0)}]`);
    await s.sendBinary(Buffer.from([9]));
    assert.equal(await s.nextText(), `51-/custom,["echo",${ph(0)}]`);
    assert.deepEqual([...(await s.next())], [9]);
  });

  sioRule("9.6 binary ack: 5N-<id> event acked with 6N-<id> and the attachments", async () => {
    const s = await rawConnected(server);
    await s.send(`51-12["echo-ack","a",${ph(0)}]`);
    await s.sendBinary(Buffer.from([0xff, 0x00]));
    assert.equal(await s.nextText(), `61-12["a",${ph(0)}]`);
    assert.deepEqual([...(await s.next())], [0xff, 0x00]);

    await s.connect("/custom");
    await s.send(`52-/custom,13["echo-ack",${ph(0)},${ph(1)}]`);
    await s.sendBinary(Buffer.from("A"));
    await s.sendBinary(Buffer.from("B"));
    assert.equal(await s.nextText(), `62-/custom,13[${ph(0)},${ph(1)}]`);
    assert.equal((await s.next()).toString(), "A");
    assert.equal((await s.next()).toString(), "B");
  });

  sioRule("9.6 ten attachments are accepted (the limit)", async () => {
    const s = await rawConnected(server);
    const phs = Array.from({ length: 10 }, (_, i) => ph(i)).join(",");
    await s.send(`510-1["echo-ack",${phs}]`);
    for (let i = 0; i < 10; i++) await s.sendBinary(Buffer.from([i]));
    assert.equal(await s.nextText(), `610-1[${phs}]`);
    for (let i = 0; i < 10; i++) assert.deepEqual([...(await s.next())], [i]);
  });

  sioRule("9.6 binary over polling: attachments travel as b<base64> in the payload, both ways", async () => {
    const { sid } = await handshake(server);
    await postOk(server, sid, "40");
    const [connected] = await pollMessages(server, sid);
    assert.match(connected.raw, /^40\{"sid":"[^"]+"\}$/);
    await postOk(server, sid, [`451-["echo",{"b":${ph(0)}}]`, "bAQID"].join(SEP));
    const packets = (await pollMessages(server, sid)).map((p) => p.raw);
    // the attachment may come in the same payload or in the next GET
    if (packets.length === 1) packets.push(...(await pollMessages(server, sid)).map((p) => p.raw));
    assert.deepEqual(packets, [`451-["echo",{"b":${ph(0)}}]`, "bAQID"]);
  });

  sioRule("9.7 the server sends plain EVENT/ACK when there is no binary", async () => {
    const s = await rawConnected(server);
    await s.send('2["echo","no binary here",{"_placeholder":false}]');
    assert.equal(await s.nextText(), '2["echo","no binary here",{"_placeholder":false}]');
  });

  sioRule("9.8 DISCONNECT with a payload closes the connection (41{}, 41[])", async () => {
    await assertCloses(server, "1{}");
    await assertCloses(server, "1[]");
  });

  sioRule("9.8 EVENT payload that is not a non-empty array starting with a string or number closes", async () => {
    for (const p of ['2{"a":1}', '2"echo"', "2[]", "2[true]", "2[null]", "2[{}]", '2[["echo"]]', '2["echo"', "2nope"]) {
      await assertCloses(server, p);
    }
  });

  sioRule("9.8 EVENT with no payload at all closes (42, 421)", async () => {
    await assertCloses(server, "2");
    await assertCloses(server, "21");
  });

  sioRule("9.8 EVENT with a reserved name closes (connect, connect_error, disconnect, disconnecting, newListener, removeListener)", async () => {
    for (const name of ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]) {
      await assertCloses(server, `2["${name}"]`);
    }
  });

  sioRule("9.8 an ack id followed by something that is not JSON closes", async () => {
    await assertCloses(server, "21abc");
    await assertCloses(server, '21x["echo-ack"]');
    await assertCloses(server, "31abc");
  });

  sioRule("9.8 ACK payload that is not an array closes", async () => {
    await assertCloses(server, "31{}");
    await assertCloses(server, '31"x"');
    await assertCloses(server, "31true");
  });

  sioRule("9.8 CONNECT payload that is not an object closes", async () => {
    for (const p of ["0[]", '0"token"', "0null", "0[1]", '0/custom,["a"]']) {
      await assertCloses(server, p, { connectFirst: false });
    }
  });

  sioRule("9.8 CONNECT_ERROR from the client and unknown packet types close", async () => {
    await assertCloses(server, '4{"message":"x"}');
    await assertCloses(server, '4"x"');
    for (const p of ["7[]", "8", "9", "abc", "-1"]) await assertCloses(server, p);
  });

  sioRule("9.9 bad attachment headers close: 0, more than 10, missing count, not a number", async () => {
    await assertCloses(server, '50-["echo"]');
    await assertCloses(server, `511-["echo",${ph(0)}]`);
    await assertCloses(server, '5-["echo"]');
    await assertCloses(server, '5x-["echo"]');
    await assertCloses(server, '51["echo"]');
  });

  sioRule("9.9 binary reassembly errors close: text while attachments are pending, binary without a header, num out of range", async () => {
    await assertCloses(server, [`52-["echo",${ph(0)},${ph(1)}]`, Buffer.from([1]), '2["echo"]']);
    await assertCloses(server, [Buffer.from([1, 2, 3])]);
    await assertCloses(server, [`51-["echo",${ph(1)}]`, Buffer.from([1])]);
    await assertCloses(server, [`51-["echo",{"_placeholder":true,"num":-1}]`, Buffer.from([1])]);
  });

  sioRule("9.10 numeric event names are allowed", async () => {
    const s = await rawConnected(server);
    await s.send('25[1234,"x",2]');
    assert.equal(await s.nextText(), '35["x",2]');
  });
});
