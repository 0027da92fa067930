// PROTOCOL.md §5 — HTTP long-polling rules.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { rule, useServer } from "../lib/harness.mjs";
import { settle } from "../lib/http.mjs";
import {
  handshake,
  pendingPoll,
  startPost,
  postOk,
  poll,
  pollMessages,
  expectSidGone,
  decodePayload,
  syncWithServer,
  SEP,
} from "../lib/engine.mjs";
import { withTimeout } from "../lib/ws.mjs";

describe("§5 HTTP long-polling", () => {
  const server = useServer();

  rule("5.1 a GET with nothing queued is held until a packet is queued", async () => {
    const { sid } = await handshake(server);
    // the server has read the GET (pendingPoll) with nothing queued (pingInterval is 25 s); a marker
    // message queued afterwards must be the whole answer: a GET answered early would hold something else
    const get = await pendingPoll(server, sid);
    await postOk(server, sid, "4release");
    const res = await get.response;
    assert.equal(res.status, 200);
    assert.equal(res.text, "4release");
  });

  rule("5.2 a second concurrent GET: the pending GET gets 1, the second gets 400, the session is closed", async () => {
    const { sid } = await handshake(server);
    const first = await pendingPoll(server, sid);
    const second = await settle(poll(server, sid));
    assert.equal(second.status, 400, `second GET got ${second.status} ${second.text}`);
    const firstRes = await first.response;
    assert.equal(firstRes.status, 200);
    const packets = decodePayload(firstRes.text).map((p) => p.raw);
    assert.equal(packets.at(-1), "1", `pending GET got ${JSON.stringify(firstRes.text)}`);
    await expectSidGone(server, sid);
  });

  rule("5.3 a second concurrent POST gets 400 and closes the session", async () => {
    const { sid } = await handshake(server);
    // first POST announces 100 bytes and sends only some of them: it stays in progress
    const body = "4" + "a".repeat(99);
    const first = startPost(server, sid, body.slice(0, 10), { headers: { "Content-Length": "100" } });
    await first.written;
    await syncWithServer(server);
    const second = await settle(startPost(server, sid, "4second").response);
    assert.equal(second.status, 400, `second POST got ${second.status} ${second.text}`);
    // the first POST's connection is closed without an answer (as the reference does), and its
    // packet never reaches the closed session
    first.write(body.slice(10));
    const firstRes = await settle(first.response);
    assert.ok(firstRes.noResponse, `the interrupted POST got HTTP ${firstRes.status} ${firstRes.text}`);
    await expectSidGone(server, sid);
  });

  rule("5.4 the client aborting a pending GET closes the session", async () => {
    const { sid } = await handshake(server);
    const get = await pendingPoll(server, sid);
    get.abort();
    await get.closed;
    await syncWithServer(server);
    // a POST (not a GET, which a server that missed the abort would reject as a duplicate GET)
    await expectSidGone(server, sid, { method: "POST" });
  });

  rule("5.5 several packets in one POST are processed in order", async () => {
    const { sid } = await handshake(server);
    const packets = ["4one", "4two", "bAQID", "4three", "4", "4four"];
    await postOk(server, sid, packets.join(SEP));
    const got = [];
    while (got.length < packets.length) got.push(...(await pollMessages(server, sid)).map((p) => p.raw));
    assert.deepEqual(got, packets);
  });

  rule("5.5 packets of consecutive POSTs keep their order", async () => {
    const { sid } = await handshake(server);
    const sent = [];
    for (let i = 0; i < 20; i++) {
      sent.push(`4m${i}`);
      await postOk(server, sid, `4m${i}`);
    }
    const got = [];
    while (got.length < sent.length) got.push(...(await pollMessages(server, sid)).map((p) => p.raw));
    assert.deepEqual(got, sent);
  });

  rule("5.1 once a GET is answered, the next GET is held again", async () => {
    const { sid } = await handshake(server);
    await postOk(server, sid, "4first");
    assert.equal((await poll(server, sid)).text, "4first");
    // held: answered with the marker queued after the server has read it, and nothing else
    const get = await pendingPoll(server, sid);
    await postOk(server, sid, "4second");
    assert.equal((await withTimeout(get.response, 2000, "held GET not released")).text, "4second");
  });
});
