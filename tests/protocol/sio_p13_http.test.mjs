// PROTOCOL.md §13 (client bundle, serveClient) and §14 (CORS), raw HTTP.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { sioRule, useSioServer, CLIENT_DIST } from "../lib/sio.mjs";
import { request } from "../lib/http.mjs";
import { engineQuery, assertEngineError } from "../lib/engine.mjs";

const FILES = [
  "socket.io.js",
  "socket.io.min.js",
  "socket.io.esm.min.js",
  "socket.io.msgpack.min.js",
  "socket.io.js.map",
  "socket.io.min.js.map",
  "socket.io.esm.min.js.map",
  "socket.io.msgpack.min.js.map",
];
const file = (name) => readFileSync(path.join(CLIENT_DIST, name));
const CLIENT_VERSION = JSON.parse(readFileSync(path.join(CLIENT_DIST, "..", "package.json"), "utf8")).version;

function decode(res) {
  const enc = (res.headers["content-encoding"] || "identity").toLowerCase();
  switch (enc) {
    case "identity":
      return res.body;
    case "gzip":
      return zlib.gunzipSync(res.body);
    case "deflate":
      return zlib.inflateSync(res.body);
    case "br":
      return zlib.brotliDecompressSync(res.body);
    default:
      throw new Error(`unexpected Content-Encoding ${enc}`);
  }
}

function assertServed(res, name, label = name) {
  assert.equal(res.status, 200, `${label}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
  assert.equal(res.headers["cache-control"], "public, max-age=0", `${label}: Cache-Control`);
  assert.match(res.headers.etag || "", /^"4\.8\.\d+"$/, `${label}: ETag is the quoted 4.8.x version`);
  const type = name.endsWith(".map") ? "application/json; charset=utf-8" : "application/javascript; charset=utf-8";
  assert.equal(res.headers["content-type"], type, `${label}: Content-Type`);
  assert.ok(decode(res).equals(file(name)), `${label}: the body is the file of socket.io-client/dist`);
}

describe("§13 client bundle (--serve-client socket.io-client/dist)", () => {
  const server = useSioServer(["--serve-client", CLIENT_DIST]);

  sioRule("13.1 every bundle file and its map is served with exact headers and content", async () => {
    assert.deepEqual([...FILES].sort(), readdirSync(CLIENT_DIST).sort(), "the dist directory holds the 8 files");
    for (const name of FILES) {
      assertServed(await request(server, { path: `/socket.io/${name}` }), name);
    }
  });

  sioRule("13.1 the query string is ignored and any method is accepted", async () => {
    assertServed(await request(server, { path: "/socket.io/socket.io.min.js?v=4.8&t=1" }), "socket.io.min.js");
    assertServed(await request(server, { method: "POST", path: "/socket.io/socket.io.js", body: "" }), "socket.io.js");
  });

  sioRule("13.2 the ETag is the quoted server version, 4.8.x, stable across requests", async () => {
    const a = await request(server, { path: "/socket.io/socket.io.js" });
    const b = await request(server, { path: "/socket.io/socket.io.js.map" });
    assert.equal(a.headers.etag, b.headers.etag);
    if (server.impl === "ref") assert.equal(a.headers.etag, `"${CLIENT_VERSION}"`);
  });

  sioRule("13.3 If-None-Match equal to the ETag, or W/ + ETag, gives 304 with no body; another value gives 200", async () => {
    const { headers } = await request(server, { path: "/socket.io/socket.io.js" });
    const etag = headers.etag;
    for (const inm of [etag, `W/${etag}`]) {
      const res = await request(server, { path: "/socket.io/socket.io.js", headers: { "If-None-Match": inm } });
      assert.equal(res.status, 304, `If-None-Match: ${inm}`);
      assert.equal(res.body.length, 0);
    }
    const res = await request(server, { path: "/socket.io/socket.io.min.js.map", headers: { "If-None-Match": etag } });
    assert.equal(res.status, 304, "maps too");
    assertServed(await request(server, { path: "/socket.io/socket.io.js", headers: { "If-None-Match": '"0.0.1"' } }), "socket.io.js");
  });

  sioRule("13.4 Content-Encoding follows Accept-Encoding (br, gzip, deflate or identity) and decodes to the file", async () => {
    for (const accept of ["gzip", "deflate", "br", "gzip, deflate, br", "identity", "x-unknown"]) {
      const res = await request(server, { path: "/socket.io/socket.io.js", headers: { "Accept-Encoding": accept } });
      assertServed(res, "socket.io.js", `socket.io.js (Accept-Encoding: ${accept})`);
      const enc = res.headers["content-encoding"];
      if (enc) {
        const accepted = accept.split(",").map((s) => s.trim());
        assert.ok(accepted.includes(enc), `Content-Encoding ${enc} was not offered by "${accept}"`);
      }
    }
    const plain = await request(server, { path: "/socket.io/socket.io.js" });
    assert.equal(plain.headers["content-encoding"], undefined, "no Accept-Encoding: identity");
  });

  sioRule("13.5 any other file under the path falls through to engine.io: 400 {\"code\":0,...}", async () => {
    for (const p of ["/socket.io/other.js", "/socket.io/socket.io.jsx", "/socket.io/dist/socket.io.js", "/socket.io/socket.io"]) {
      assertEngineError(await request(server, { path: p }), 0);
    }
  });

  sioRule("13.6 the Engine.IO endpoint still works next to the bundle", async () => {
    const res = await request(server, { query: engineQuery() });
    assert.equal(res.status, 200);
    assert.ok(res.text.startsWith("0{"));
  });
});

describe("§13 without --serve-client", () => {
  const server = useSioServer([]);

  sioRule("13.7 without serveClient the bundle is not served (engine.io answers 400 code 0)", async () => {
    assertEngineError(await request(server, { path: "/socket.io/socket.io.js" }), 0);
  });

  sioRule("14.3 without the cors option, no CORS headers are sent", async () => {
    const res = await request(server, { query: engineQuery(), headers: { Origin: "http://a.example" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers["access-control-allow-origin"], undefined);
    const pre = await request(server, {
      method: "OPTIONS",
      query: engineQuery(),
      headers: { Origin: "http://a.example", "Access-Control-Request-Method": "POST" },
    });
    assert.equal(pre.headers["access-control-allow-origin"], undefined);
    assert.equal(pre.headers["access-control-allow-methods"], undefined);
  });
});

describe("§14 CORS (--cors-origin '*' --serve-client)", () => {
  const server = useSioServer(["--cors-origin", "*", "--serve-client", CLIENT_DIST]);
  const origin = { Origin: "http://a.example" };

  sioRule("14.1 Access-Control-Allow-Origin: * on handshake, POST, errors and the bundle", async () => {
    const hs = await request(server, { query: engineQuery(), headers: origin });
    assert.equal(hs.status, 200);
    assert.equal(hs.headers["access-control-allow-origin"], "*", "handshake");
    const sid = JSON.parse(hs.text.slice(1)).sid;
    const post = await request(server, {
      method: "POST",
      query: engineQuery({ sid }),
      headers: { ...origin, "Content-Type": "text/plain;charset=UTF-8" },
      body: "40",
    });
    assert.equal(post.status, 200);
    assert.equal(post.headers["access-control-allow-origin"], "*", "POST");
    const err = await request(server, { query: engineQuery({ EIO: "3" }), headers: origin });
    assertEngineError(err, 5);
    assert.equal(err.headers["access-control-allow-origin"], "*", "error response");
    const bundle = await request(server, { path: "/socket.io/socket.io.js", headers: origin });
    assertServed(bundle, "socket.io.js");
    assert.equal(bundle.headers["access-control-allow-origin"], "*", "bundle");
  });

  sioRule("14.2 preflight OPTIONS gets 204 with Access-Control-Allow-Methods GET,HEAD,PUT,PATCH,POST,DELETE", async () => {
    for (const p of [{ query: engineQuery() }, { path: "/socket.io/socket.io.js" }]) {
      const res = await request(server, {
        method: "OPTIONS",
        ...p,
        headers: { ...origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
      });
      assert.equal(res.status, 204, `preflight ${p.path ?? "handshake"}: HTTP ${res.status}`);
      assert.equal(res.headers["access-control-allow-origin"], "*");
      assert.equal(res.headers["access-control-allow-methods"], "GET,HEAD,PUT,PATCH,POST,DELETE");
      assert.equal(res.body.length, 0);
    }
  });
});
