// PROTOCOL.md §1 — endpoint, query, HTTP basics.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { rule, useServer } from "../lib/harness.mjs";
import { request } from "../lib/http.mjs";
import { engineWs } from "../lib/ws.mjs";
import { handshake, engineQuery, poll, post, postOk, pollMessages } from "../lib/engine.mjs";

/** A WebSocket handshake with the query `q` must be refused with HTTP 400 and the error `message`. */
async function assertWsRefused(server, q, message) {
  const ws = engineWs(server, q);
  const err = await ws.opened.then(
    () => null,
    (e) => e,
  );
  assert.ok(err, `${JSON.stringify(q)}: the WebSocket was accepted (frames ${JSON.stringify(ws.frames.map((f) => f.data))})`);
  assert.deepEqual({ status: err.status, body: err.body }, { status: 400, body: message }, JSON.stringify(q));
}

describe("§1 endpoint, query, HTTP basics", () => {
  const server = useServer();

  rule("1.1 the engine path is served with and without the trailing slash", async () => {
    for (const path of ["/engine.io/", "/engine.io"]) {
      const res = await request(server, { path: `${path}?${engineQuery()}` });
      assert.equal(res.status, 200, `${path}: HTTP ${res.status} ${res.text.slice(0, 100)}`);
      assert.match(res.text, /^0\{/, `${path}: no open packet`);
    }
    const ws = engineWs(server, {}, { path: "/engine.io" });
    await ws.opened;
    assert.match(await ws.nextText(), /^0\{/);
  });

  rule("1.2 unknown query parameters are ignored (t cache-buster, custom keys)", async () => {
    const { sid, open } = await handshake(server, { t: "PxYz-12", foo: "bar", b64: "1", empty: "" });
    assert.deepEqual(open.upgrades, ["websocket"]);
    await postOk(server, sid, "4with-extras", { query: { t: "abc", custom: "x" } });
    const res = await poll(server, sid, { query: { t: "def", other: "y" } });
    assert.equal(res.status, 200);
    assert.equal(res.text, "4with-extras");
    const ws = engineWs(server, { t: "ws-buster", token: "abc" });
    await ws.opened;
    assert.match(await ws.nextText(), /^0\{/);
  });

  rule("1.3 a missing or invalid mandatory parameter gives HTTP 400 on polling and a refused WebSocket", async () => {
    const cases = [
      { EIO: undefined }, // EIO missing
      { EIO: "3" },
      { transport: undefined },
      { transport: "carrier-pigeon" },
      { sid: "no-such-session" },
    ];
    for (const q of cases) {
      const res = await request(server, { query: engineQuery(q) });
      assert.equal(res.status, 400, `${JSON.stringify(q)}: HTTP ${res.status}`);
    }
    await assertWsRefused(server, { sid: "no-such-session" }, "Session ID unknown");
  });

  rule("1.3 a WebSocket with EIO missing or not 4 is refused with HTTP 400 before the 101", async () => {
    for (const q of [{ EIO: undefined }, { EIO: "3" }]) await assertWsRefused(server, q, "Unsupported protocol version");
  });

  rule("1.4 polling responses carry Cache-Control: no-store; GET is text/plain; charset=UTF-8; POST is 200 text/html ok", async () => {
    const { sid, res: hs } = await handshake(server);
    assert.equal(hs.headers["cache-control"], "no-store");
    assert.match(hs.headers["content-type"], /^text\/plain; ?charset=utf-8$/i);
    const p = await post(server, sid, "4x");
    assert.equal(p.status, 200);
    assert.equal(p.headers["cache-control"], "no-store");
    assert.match(p.headers["content-type"], /^text\/html(;|$)/);
    assert.equal(p.text, "ok");
    const g = await poll(server, sid);
    assert.equal(g.status, 200);
    assert.equal(g.headers["cache-control"], "no-store");
    assert.match(g.headers["content-type"], /^text\/plain; ?charset=utf-8$/i);
    assert.equal(g.text, "4x");
    // binary content still goes out as text (b + base64) in v4
    await postOk(server, sid, "bAAEC/w==");
    const g2 = await poll(server, sid);
    assert.match(g2.headers["content-type"], /^text\/plain; ?charset=utf-8$/i);
    assert.equal(g2.text, "bAAEC/w==");
  });

  rule("1.5 text is UTF-8 both ways (polling and WebSocket)", async () => {
    const text = "héllo wörld — 你好 — 😀🚀 — \u00a0\u2028";
    const { sid } = await handshake(server);
    await postOk(server, sid, "4" + text);
    const packets = await pollMessages(server, sid);
    assert.deepEqual(packets.map((p) => p.raw), ["4" + text]);

    const ws = engineWs(server);
    await ws.opened;
    await ws.nextText();
    await ws.send("4" + text);
    assert.equal(await ws.nextText(), "4" + text);
  });
});

describe("§1 configurable path (--path /custom/)", () => {
  const server = useServer(["--path", "/custom/"]);

  rule("1.1 the engine path is configurable", async () => {
    const { sid } = await handshake(server);
    await postOk(server, sid, "4on-custom-path");
    assert.equal((await pollMessages(server, sid))[0].raw, "4on-custom-path");
    const ws = engineWs(server);
    await ws.opened;
    assert.match(await ws.nextText(), /^0\{/);
    const other = await request(server, { path: `/engine.io/?${engineQuery()}` }).catch((e) => ({ status: 0, text: e.message }));
    assert.notEqual(other.status, 200, "the default path must not be served when another path is configured");
    assert.doesNotMatch(other.text, /^0\{/);
  });
});

describe("§1 sizes count bytes (--max-payload 1000)", () => {
  const server = useServer(["--max-payload", "1000"]);

  rule("1.5 sizes count UTF-8 bytes, not UTF-16 units", async () => {
    const { sid, open } = await handshake(server);
    assert.equal(open.maxPayload, 1000);
    // 1 + 499*2 = 999 bytes: accepted
    const fits = "4" + "é".repeat(499);
    await postOk(server, sid, fits);
    const packets = await pollMessages(server, sid);
    assert.equal(packets[0].raw, fits);
    // 1 + 600*2 = 1201 bytes but only 601 UTF-16 units: too large
    const tooBig = await post(server, sid, "4" + "é".repeat(600));
    assert.equal(tooBig.status, 413);

    const ws = engineWs(server);
    await ws.opened;
    await ws.nextText();
    await ws.send(fits);
    assert.equal(await ws.nextText(), fits);
    await ws.send("4" + "é".repeat(600));
    const closed = await ws.waitClosed(2000);
    assert.equal(closed.code, 1009);
  });
});
