// PROTOCOL.md §5 — HTTP long-polling rules.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { rule, useServer } from "../lib/harness.mjs";
import { settle } from "../lib/http.mjs";
import {
  handshake,
  startPoll,
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

const HOLD_CHECK_MS = 300;

describe("§5 HTTP long-polling", () => {
  const server = useServer();

  rule("5.1 a GET with nothing queued is held until a packet is queued", async () => {
    const { sid } = await handshake(server);
    const get = await pendingPoll(server, sid);
    const started = Date.now();
    // nothing is queued (pingInterval is 25 s): the GET must still be pending after HOLD_CHECK_MS
    const early = await Promise.race([get.response.then(() => "answered"), new Promise((r) => setTimeout(() => r("held"), HOLD_CHECK_MS))]);
    assert.equal(early, "held", "the GET was answered although nothing was queued");
    await postOk(server, sid, "4release");
    const res = await get.response;
    assert.ok(Date.now() - started >= HOLD_CHECK_MS);
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
    // the first POST is aborted or answered, but its packet must not reach a closed session
    first.write(body.slice(10));
    await settle(first.response).catch(() => {});
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
    const get = startPoll(server, sid);
    const r = await Promise.race([get.response.then((x) => x.text), new Promise((res) => setTimeout(() => res(null), HOLD_CHECK_MS))]);
    assert.equal(r, null, `the next GET was answered at once with ${JSON.stringify(r)}`);
    await postOk(server, sid, "4second");
    assert.equal((await withTimeout(get.response, 2000, "held GET not released")).text, "4second");
  });
});
