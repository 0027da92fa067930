// Class 4 (issue 11, item 4): HTTP parser floods. Bytes the parser has already consumed (empty
// lines before a request line, trailer lines, chunk extensions) must count against a limit and
// must not be kept: the request is refused once over its limit, and memory does not depend on
// how much more the client sends. Each flood is swept over 1 MB, 10 MB and 100 MB, on the engine
// echo server; the answers are the limits of the strict parser (RFC 9112): 400 for the empty
// lines (more than max_leading_empty_lines) and for the chunk extensions (more than
// max_chunk_extension_bytes), 431 for the trailers (more than max_trailer_bytes), and the
// connection is closed after the answer.
//
// Bound: growth <= 8 MiB + 0 x bytes sent: every flooded byte is dropped or refused, so memory
// must not follow the flood at all.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { hostileSweep } from "./lib/sweep.mjs";
import { handshake, pollPath } from "./lib/engine.mjs";
import { Conn } from "./lib/wire.mjs";

const BOUND = { k: 0, constMiB: 8 };
const POINTS = [1e6, 10e6, 100e6].map((bytes, i) => ({ label: `x${10 ** i} (${bytes / 1e6} MB flood)`, bytes }));

/** `count` copies of `unit` in chunks of about 64 kB. */
function* repeated(unit, count) {
  const per = Math.max(1, Math.floor(65536 / unit.length));
  const block = Buffer.concat(new Array(per).fill(unit));
  for (let left = count; left > 0; left -= per) yield left >= per ? block : block.subarray(0, left * unit.length);
}

/**
 * Sends head + flood + tail on one connection while reading; expects the answer `status` and then
 * the server's close.
 */
async function flood(server, { head, unit, count, tail, status }) {
  const conn = await Conn.open(server.port);
  const bytesSent = head.length + unit.length * count + tail.length;
  try {
    function* all() {
      yield head;
      yield* repeated(unit, count);
      yield tail;
    }
    const writing = conn.writeStream(all(), { highWater: 4 * 1024 * 1024 });
    const res = await conn.readResponse({ timeout: 90_000 });
    const written = await writing;
    assert.equal(res.status, status, `answer ${res.status} ${res.reason} (${written} of ${bytesSent} bytes written)`);
    assert.ok(await conn.waitClosed(10_000), `the connection stayed open after the ${res.status}`);
    return { bytesSent, outcome: `${res.status} after ${written} of ${bytesSent} bytes, closed` };
  } catch (err) {
    throw Object.assign(err, { bytesSent });
  } finally {
    conn.destroy();
  }
}

function chunkedPostHead(server, sid) {
  return Buffer.from(
    `POST ${pollPath(server, `&sid=${sid}`)} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n`,
  );
}

describe("4. HTTP parser floods", () => {
  hostileSweep({
    name: "4a. CRLF before a request line",
    kind: "engine",
    points: POINTS,
    bound: BOUND,
    attack: (server, { bytes }) =>
      flood(server, {
        head: Buffer.alloc(0),
        unit: Buffer.from("\r\n"),
        count: bytes / 2,
        tail: Buffer.from("GET /hostile-404 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
        status: 400,
      }),
  });

  hostileSweep({
    name: "4b. trailer lines after a chunked POST body",
    kind: "engine",
    points: POINTS,
    bound: BOUND,
    attack: async (server, { bytes }) => {
      const { sid } = await handshake(server);
      const unit = Buffer.from("X-Hostile-Trailer: aaaaaaaaaaaa\r\n");
      return flood(server, {
        head: Buffer.concat([chunkedPostHead(server, sid), Buffer.from("6\r\n4hello\r\n0\r\n")]),
        unit,
        count: Math.round(bytes / unit.length),
        tail: Buffer.from("\r\n"),
        status: 431,
      });
    },
  });

  hostileSweep({
    name: "4c. chunk extensions on one-byte chunks",
    kind: "engine",
    points: POINTS,
    bound: BOUND,
    attack: async (server, { bytes }) => {
      const { sid } = await handshake(server);
      const unit = Buffer.from("1;hostile-extension=aaaaaaaaaaaaaaaa\r\nx\r\n");
      return flood(server, {
        head: Buffer.concat([chunkedPostHead(server, sid), Buffer.from("1\r\n4\r\n")]),
        unit,
        count: Math.round(bytes / unit.length),
        tail: Buffer.from("0\r\n\r\n"),
        status: 400,
      });
    },
  });
});
