// examples/beast_mount: sio mounted on a Boost.Beast HTTP server (sio/mount.hpp), one port for
// Beast's own routes and static files and for Socket.IO. socket.io-client in its three transport
// modes, and Beast's routes on the same keep-alive connection as sio's polling requests (the
// stream goes to sio and back, with the bytes pipelined behind a request). The same again over
// HTTPS, where sio reads and writes through Beast's ssl_stream.
//
// Skipped, with a message, where Boost is not installed (the example is not built then); with
// CI=true a missing binary fails instead.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { spawnListening } from "../lib/server.mjs";
import { MODES, ack, connect, withTimeout } from "../lib/sio.mjs";

const TESTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(path.resolve(TESTS_DIR, process.env.SIO_BUILD_DIR || "../build"), "examples", "beast_mount", "sio_beast_mount");
const missing = !existsSync(BIN);
if (missing && process.env.CI === "true") throw new Error(`CI=true and ${BIN} was not built (is Boost installed? run scripts/setup.sh)`);
const why = `skipped: ${BIN} not built (Boost >= 1.74 not found by CMake; Debian: apt-get install libboost-dev)`;
if (missing) console.log(`# beast_mount ${why}`);

/** A raw keep-alive HTTP/1.1 connection: write requests, read responses one by one (Content-Length bodies). */
function rawConnection(port, { secure = false } = {}) {
  const socket = secure
    ? tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false, servername: "localhost" })
    : net.connect(port, "127.0.0.1");
  let data = Buffer.alloc(0);
  let wake = null;
  let closed = false;
  socket.on("data", (d) => {
    data = Buffer.concat([data, d]);
    wake?.();
  });
  socket.on("close", () => {
    closed = true;
    wake?.();
  });
  socket.on("error", () => {});
  async function response() {
    return withTimeout(
      (async () => {
        for (;;) {
          const end = data.indexOf("\r\n\r\n");
          if (end >= 0) {
            const head = data.subarray(0, end).toString("latin1");
            const m = /\r\ncontent-length: *(\d+)/i.exec(head);
            const length = m ? Number(m[1]) : 0;
            if (data.length >= end + 4 + length) {
              const body = data.subarray(end + 4, end + 4 + length).toString("utf8");
              data = data.subarray(end + 4 + length);
              return { status: Number(head.split(" ")[1]), head, body };
            }
          }
          if (closed) throw new Error(`connection closed; unread: ${JSON.stringify(data.toString("latin1"))}`);
          await new Promise((r) => (wake = r));
          wake = null;
        }
      })(),
      5000,
      "no HTTP response",
    );
  }
  return {
    write: (text) => socket.write(text),
    response,
    get closed() {
      return closed;
    },
    end: () => socket.destroy(),
  };
}

const get = (target) => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

/** socket.io-client in each transport mode through Beast's port: acks both ways, a 100 kB echo, and a second round. */
function clientModes(serverOf, { secure }) {
  for (const mode of Object.keys(MODES)) {
    it(`${mode}: socket.io-client${secure ? " over TLS" : ""} through Beast's port; events and acks both ways`, async () => {
      const server = serverOf();
      assert.match(server.url, secure ? /^https:/ : /^http:/);
      const socket = await connect(server, { mode, ...(secure ? { rejectUnauthorized: false } : {}) });
      try {
        assert.deepEqual(await ack(socket, "echo-ack", "héllo", { n: 1, list: [1, "2"] }), ["héllo", { n: 1, list: [1, "2"] }]);
        const echoed = new Promise((resolve) => socket.once("echo", (...args) => resolve(args)));
        socket.emit("echo", 42, "x".repeat(100_000));
        assert.deepEqual(await withTimeout(echoed, 5000, "no echo"), [42, "x".repeat(100_000)]);
        // A second round after the first (in upgrade mode, on the WebSocket by now).
        assert.deepEqual(await ack(socket, "echo-ack", true), [true]);
      } finally {
        socket.disconnect();
      }
    });
  }
}

describe("examples/beast_mount: sio mounted on Boost.Beast", { skip: missing ? why : false }, () => {
  let server;
  before(async () => {
    const args = ["--port", "0", "--host", "127.0.0.1"];
    server = await spawnListening({ label: "beast_mount", impl: "sio", cmd: BIN, argv: args, args, host: "127.0.0.1", path: "/socket.io/" });
  });
  after(async () => {
    await server?.stop();
  });

  clientModes(() => server, { secure: false });

  it("Beast's routes and its static files answer on the same port", async () => {
    const c = rawConnection(server.port);
    try {
      c.write(get("/"));
      const page = await c.response();
      assert.equal(page.status, 200);
      assert.match(page.body, /sio mounted on a Boost\.Beast server/);
      c.write(get("/no-such-file"));
      assert.equal((await c.response()).status, 404);
    } finally {
      c.end();
    }
  });

  it("one keep-alive connection: a Beast route, a polling handshake, a polling GET, the route again", async () => {
    const c = rawConnection(server.port);
    try {
      c.write(get("/hello"));
      assert.deepEqual([(await c.response()).body], ["hello from Beast\n"]);
      c.write(get("/socket.io/?EIO=4&transport=polling"));
      const open = await c.response();
      assert.equal(open.status, 200);
      const sid = JSON.parse(open.body.slice(1)).sid;
      assert.ok(sid, `an open packet with a sid: ${open.body}`);
      // The CONNECT of the main namespace, posted, then the GET that carries its answer.
      c.write(`POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n40`);
      const posted = await c.response();
      assert.equal(posted.status, 200);
      assert.equal(posted.body, "ok");
      c.write(get(`/socket.io/?EIO=4&transport=polling&sid=${sid}`));
      const connected = await c.response();
      assert.match(connected.body, /^40\{"sid":"/);
      c.write(get("/hello"));
      assert.equal((await c.response()).body, "hello from Beast\n");
      assert.equal(c.closed, false, "the connection stayed open throughout");
    } finally {
      c.end();
    }
  });

  it("pipelined: a polling handshake and a Beast route in one write are answered in order", async () => {
    const c = rawConnection(server.port);
    try {
      c.write(get("/socket.io/?EIO=4&transport=polling") + get("/hello") + get("/count"));
      const open = await c.response();
      assert.equal(open.status, 200);
      assert.match(open.body, /^0\{"sid":"/);
      assert.equal((await c.response()).body, "hello from Beast\n");
      assert.match((await c.response()).body, /^\d+$/);
    } finally {
      c.end();
    }
  });
});

describe("examples/beast_mount over HTTPS: sio on Beast's ssl_stream", { skip: missing ? why : false }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "sio-beast-tls-"));
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  let server;
  before(async () => {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
      { stdio: "ignore" },
    );
    const args = ["--port", "0", "--host", "127.0.0.1", "--tls-cert", cert, "--tls-key", key];
    server = await spawnListening({ label: "beast_mount tls", impl: "sio", cmd: BIN, argv: args, args, host: "127.0.0.1", path: "/socket.io/", tls: true });
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  clientModes(() => server, { secure: true });

  it("one TLS keep-alive connection: a Beast route, a polling handshake, the route again", async () => {
    const c = rawConnection(server.port, { secure: true });
    try {
      c.write(get("/hello"));
      assert.equal((await c.response()).body, "hello from Beast\n");
      c.write(get("/socket.io/?EIO=4&transport=polling"));
      const open = await c.response();
      assert.equal(open.status, 200);
      assert.match(open.body, /^0\{"sid":"/);
      c.write(get("/hello"));
      assert.equal((await c.response()).body, "hello from Beast\n");
      assert.equal(c.closed, false, "the connection stayed open throughout");
    } finally {
      c.end();
    }
  });
});
