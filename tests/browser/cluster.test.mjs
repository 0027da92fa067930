// The chat example as a cluster, as README "Running a cluster" shows it: two sio_chat nodes with
// `--redis` on one redis-server, behind haproxy with examples/chat/haproxy.cfg (its ports
// replaced by free ones). Two headless Chromium pages on long-polling, each on another node,
// chat, see one user list, exchange a private message and typing hints. Then socket.io-client
// pairs race for one nickname through the two nodes at once, many times: exactly one wins each.
//
// env: SIO_BUILD_DIR, SIO_CHROMIUM (as chat.test.mjs), SIO_REDIS_SERVER (default
// /usr/bin/redis-server), SIO_HAPROXY (default /usr/sbin/haproxy); scripts/setup.sh installs both.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, it, before, after } from "node:test";
import { chromium } from "playwright-core";
import { io as connect } from "socket.io-client";
import {
  ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DESKTOP, TEST_MS, WAIT_MS, TESTS_DIR, message, send, setNickname, startChat, stopChat,
  typeUntilSeen, userRow,
} from "../lib/chat.mjs";

const REDIS_SERVER = process.env.SIO_REDIS_SERVER || "/usr/bin/redis-server";
const HAPROXY = process.env.SIO_HAPROXY || "/usr/sbin/haproxy";
const HAPROXY_CFG = path.join(TESTS_DIR, "..", "examples", "chat", "haproxy.cfg");
const RACES = 40;

/** A loopback port nothing listens on now (for programs that cannot be given port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once `port` accepts a TCP connection (at most `ms`); `child` is who should listen. */
async function waitForPort(port, child, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, "127.0.0.1", () => { c.destroy(); resolve(true); });
      c.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${ms} ms; the process said:\n${child.out}`);
    await new Promise((r) => setTimeout(r, 50));  // between connection attempts, not to hide a race
  }
}

/** A child process whose output is kept, stopped by PID at the end. */
function run(bin, args) {
  const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  const child = { proc, out: "" };
  proc.stdout.setEncoding("utf8").on("data", (d) => { child.out += d; });
  proc.stderr.setEncoding("utf8").on("data", (d) => { child.out += d; });
  child.exited = new Promise((resolve) => proc.on("close", resolve));
  return child;
}
async function kill(child) {
  if (!child || child.proc.exitCode !== null) return;
  child.proc.kill("SIGKILL");
  await child.exited;
}

describe("the chat as a cluster: two sio nodes, one Redis, haproxy in front", () => {
  let redis, haproxy, nodes = [], browser, dir, front;
  const pageErrors = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "sio-chat-cluster-"));
    const redisPort = await freePort();
    redis = run(REDIS_SERVER, ["--bind", "127.0.0.1", "--port", String(redisPort), "--save", "", "--appendonly", "no", "--dir", dir]);
    await waitForPort(redisPort, redis);
    const url = `redis://127.0.0.1:${redisPort}`;
    nodes = [await startChat(0, ["--redis", url]), await startChat(0, ["--redis", url])];

    // The README's haproxy.cfg with free ports in place of 3000, 3001 and 3002.
    const frontPort = await freePort();
    const cfg = readFileSync(HAPROXY_CFG, "utf8")
      .replace("127.0.0.1:3000", `127.0.0.1:${frontPort}`)
      .replace("127.0.0.1:3001", `127.0.0.1:${nodes[0].port}`)
      .replace("127.0.0.1:3002", `127.0.0.1:${nodes[1].port}`);
    assert.ok(cfg.includes(String(nodes[1].port)), "haproxy.cfg no longer names 127.0.0.1:3001 and :3002");
    writeFileSync(path.join(dir, "haproxy.cfg"), cfg);
    haproxy = run(HAPROXY, ["-db", "-f", path.join(dir, "haproxy.cfg")]);
    await waitForPort(frontPort, haproxy);
    front = `http://127.0.0.1:${frontPort}/`;
  });

  after(async () => {
    await browser?.close();
    for (const n of nodes) await stopChat(n, "SIGINT");
    await kill(haproxy);
    await kill(redis);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("two pages on two nodes chat, see one user list, exchange a private message and typing", { timeout: 60_000 }, async () => {
    // One browser, one context per person: each has its own cookie jar, so haproxy's round robin
    // sends the first to one node and the second to the other, and the cookie keeps each there.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const open = async (name) => {
      const ctx = await browser.newContext({ viewport: DESKTOP });
      ctx.setDefaultTimeout(WAIT_MS);
      const page = await ctx.newPage();
      page.on("pageerror", (e) => pageErrors.push(`${name}: ${e.message}`));
      await page.goto(front + "?transports=polling");
      await page.locator("#status.online").waitFor();
      return page;
    };
    const alice = await open("alice");
    const bob = await open("bob");
    // Each node logged one connection: the pages are on different nodes.
    for (const n of nodes) assert.equal((n.stdout.match(/connected +\S+ over polling/g) || []).length, 1, n.stdout);

    await setNickname(alice, "alice");
    // A nickname held on the other node is refused on this one.
    await bob.fill("#nick", "alice");
    await bob.click("#nick-button");
    await bob.locator("#nick-error", { hasText: "That nickname is taken" }).waitFor();
    await setNickname(bob, "bob");

    // One user list, built from both nodes' sockets (fetch_sockets with socket.data).
    for (const page of [alice, bob]) for (const nick of ["alice", "bob"]) await userRow(page, nick).waitFor();

    await send(alice, "hello from the first node");
    await message(bob, "hello from the first node").waitFor();
    await send(bob, "hello back from the second");
    await message(alice, "hello back from the second").waitFor();

    // Typing crosses nodes.
    await bob.bringToFront();
    await typeUntilSeen(bob, alice, "bob");
    await bob.fill("#input", "");

    // A private message from bob (second node) to alice (first node), by the user list's button.
    await bob.bringToFront();
    await userRow(bob, "alice").locator("button.dm").click();
    await bob.locator("#dm-chip", { hasText: "to alice" }).waitFor();
    await send(bob, "psst, alice");
    await message(alice, "psst, alice").waitFor();
    assert.equal(await message(alice, "psst, alice").locator(".tag").textContent(), "private to you");
    assert.match(nodes[1].stdout, /private +bob -> alice/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await alice.screenshot({ path: path.join(ARTIFACTS, "cluster-alice.png") });
    await bob.screenshot({ path: path.join(ARTIFACTS, "cluster-bob.png") });

    // Closing bob's page tells alice, on the other node, and the list shrinks.
    await bob.close();
    await userRow(alice, "bob").waitFor({ state: "detached" });
    assert.deepEqual(pageErrors, []);
  });

  it(`two clients on two nodes claim one nickname at the same moment: exactly one wins (${RACES} times)`, { timeout: TEST_MS }, async () => {
    const clients = nodes.map((n) => connect(`http://127.0.0.1:${n.port}`, { transports: ["websocket"], forceNew: true, reconnection: false }));
    try {
      await Promise.all(clients.map((c) => new Promise((resolve, reject) => { c.once("connect", resolve); c.once("connect_error", reject); })));
      for (let i = 0; i < RACES; i++) {
        const name = `race-${i}`;
        const answers = await Promise.all(clients.map((c) => c.timeout(WAIT_MS).emitWithAck("set nickname", name)));
        assert.equal(answers.filter((a) => a.ok).length, 1, `${name}: ${JSON.stringify(answers)}`);
      }
    } finally {
      for (const c of clients) c.disconnect();
    }
  });
});
