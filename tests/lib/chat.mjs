// The chat example's process and page helpers, shared by tests/browser/chat.test.mjs (one server)
// and tests/browser/cluster.test.mjs (two servers behind haproxy, sharing a Redis).
//
// env: SIO_BUILD_DIR (sio build tree, default ../build), SIO_CHROMIUM (default /usr/bin/chromium).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { STOP_TIMEOUT_MS, sanitizerReport } from "./server.mjs";

export const TESTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BUILD_DIR = path.resolve(TESTS_DIR, process.env.SIO_BUILD_DIR || "../build");
export const CHAT_BIN = path.join(BUILD_DIR, "examples", "chat", "sio_chat");
export const CHROMIUM = process.env.SIO_CHROMIUM || "/usr/bin/chromium";
export const ARTIFACTS = path.join(TESTS_DIR, "artifacts");
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export const WAIT_MS = 10_000;        // any single UI expectation
export const TEST_MS = 30_000;        // any single test
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

// ---------------------------------------------------------------------------------------------
// The chat server process

/** Starts sio_chat (with `extraArgs`, e.g. ["--redis", url]) and waits for "listening on http://HOST:PORT/". */
export async function startChat(port = 0, extraArgs = []) {
  assert.ok(existsSync(CHAT_BIN), `${CHAT_BIN} not found: build the sio_chat target or set SIO_BUILD_DIR`);
  const proc = spawn(CHAT_BIN, ["--host", "127.0.0.1", "--port", String(port), ...extraArgs], { stdio: ["ignore", "pipe", "pipe"] });
  const server = { proc, stdout: "", stderr: "", exit: null };
  proc.stdout.setEncoding("utf8").on("data", (d) => { server.stdout += d; });
  proc.stderr.setEncoding("utf8").on("data", (d) => { server.stderr += d; });
  // "close": stderr has been read to its end by then
  server.exited = new Promise((resolve) => proc.on("close", (code, signal) => resolve((server.exit = { code, signal }))));
  server.port = await new Promise((resolve, reject) => {
    const fail = (why) => { clearTimeout(timer); proc.kill("SIGKILL"); reject(new Error(`sio_chat ${why}\nstdout: ${server.stdout}\nstderr: ${server.stderr}`)); };
    const timer = setTimeout(() => fail("did not print its listening line within 10 s"), 10_000);
    proc.on("error", (e) => fail(`cannot start: ${e.message}`));
    proc.on("exit", (code) => fail(`exited (${code}) before listening`));
    proc.stdout.on("data", () => {
      const m = /^listening on http:\/\/127\.0\.0\.1:(\d+)\/$/m.exec(server.stdout);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
  });
  server.url = `http://127.0.0.1:${server.port}/`;
  return server;
}

/**
 * Sends `signal` and waits (at most 10 s) for the exit, which must be clean: status 0 and no
 * sanitizer report on stderr (lib/server.mjs sanitizerReport).
 */
export async function stopChat(server, signal = "SIGINT") {
  if (!server.exit) {
    server.proc.kill(signal);
    const timer = setTimeout(() => server.proc.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await server.exited;
    clearTimeout(timer);
  }
  const report = sanitizerReport(server.stderr);
  assert.equal(report, null, `sio_chat printed a sanitizer report:\n${report}`);
  assert.deepEqual(server.exit, { code: 0, signal: null }, `sio_chat did not exit cleanly on ${signal}\nstderr: ${server.stderr.slice(-4000)}`);
  return server.exit;
}

/** Resolves with the match once the server's stdout matches `re` (at most `ms`). */
export function waitForLog(server, re, ms = WAIT_MS) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = re.exec(server.stdout);
      if (!m) return false;
      clearTimeout(timer);
      server.proc.stdout.off("data", check);
      resolve(m);
      return true;
    };
    const timer = setTimeout(() => {
      server.proc.stdout.off("data", check);
      reject(new Error(`server log never matched ${re}:\n${server.stdout}`));
    }, ms);
    if (!check()) server.proc.stdout.on("data", check);
  });
}

// ---------------------------------------------------------------------------------------------
// Page helpers

export const message = (page, text) => page.locator("#messages li.msg", { has: page.locator(".text", { hasText: text }) });
export const notice = (page, text) => page.locator("#messages li.notice", { hasText: text });
/** Waits for one more notice matching `text` than the page has now: `const next = await nextNotice(...)`, act, `await next()`. */
export async function nextNotice(page, text, timeout = WAIT_MS) {
  const count = await notice(page, text).count();
  return () => notice(page, text).nth(count).waitFor({ timeout });
}
export const userRow = (page, nickname) => page.locator(`#users li[data-nickname="${nickname}"]`);
export const texts = (page) => page.locator("#messages .text").allTextContents();

/** Clicks like a person would: in the tab in front (a background tab gets few animation frames,
 *  which Playwright's "stable" check waits for). */
export async function click(page, target) {
  await page.bringToFront();
  await (typeof target === "string" ? page.locator(target) : target).click();
}

export async function setNickname(page, nickname) {
  await page.fill("#nick", nickname);
  await click(page, "#nick-button");
  await page.locator("#welcome").waitFor({ state: "hidden" });
  assert.equal(await page.textContent("#me-name"), nickname);
}

export async function send(page, text) {
  await page.fill("#input", text);
  await page.press("#input", "Enter");
}

export async function joinRoom(page, room) {
  await page.fill("#room", room);
  await page.press("#room", "Enter");
  await page.locator("#room-title", { hasText: `#${room}` }).waitFor();
}

export const transportOf = (page) => page.evaluate(() => socket.io.engine.transport.name);

/**
 * Types in `typer`'s input until `watcher` shows "<nickname> is typing…". Typing hints are
 * volatile (dropped on polling when no GET is pending); the page repeats them every second while
 * keys come, so one more key gives one more chance.
 */
export async function typeUntilSeen(typer, watcher, nickname) {
  await typer.focus("#input");
  for (const key of "typing") {
    await typer.keyboard.press(key);
    const seen = await watcher.locator("#typing", { hasText: `${nickname} is typing…` }).waitFor({ timeout: 1500 })
      .then(() => true, () => false);
    if (seen) return;
  }
  assert.fail(`${nickname}'s typing never showed`);
}
