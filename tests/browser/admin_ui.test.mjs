// The official Admin UI dashboard (@socket.io/admin-ui 0.5.1's ui/dist, from npm) in headless
// Chromium against the chat example started with --admin-ui (no login, development mode): it lists
// the chat's socket and rooms, and the disconnect button of a socket disconnects the chat page.
// The dashboard's files are served by this test on another port (as the hosted dashboard is
// another origin): the chat allows that origin with credentials.
//
//   cd tests && SIO_BUILD_DIR=../build node --test browser/admin_ui.test.mjs
//
// Screenshots go to tests/artifacts/; with SIO_DOCS_SCREENSHOT=1 the Sockets page also replaces
// docs/admin-ui.png (the README's picture), which a normal run leaves alone.
import assert from "node:assert/strict";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { describe, it, before, after } from "node:test";
import { chromium } from "playwright-core";
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DESKTOP, TESTS_DIR, TEST_MS, WAIT_MS, setNickname, startChat, stopChat } from "../lib/chat.mjs";

const UI_DIST = path.join(TESTS_DIR, "node_modules", "@socket.io", "admin-ui", "ui", "dist");
const SCREENSHOT = path.join(TESTS_DIR, "..", "docs", "admin-ui.png");
const TYPES = { ".html": "text/html", ".js": "application/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".map": "application/json" };

/** A static server for ui/dist on 127.0.0.1, a free port. */
async function serveDashboard() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const rel = url.pathname === "/" ? "index.html" : path.normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, "");
    const file = path.join(UI_DIST, rel);
    if (!file.startsWith(UI_DIST + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": TYPES[path.extname(file)] || "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

describe("the Admin UI dashboard in chromium against the chat (--admin-ui)", () => {
  let chat, dashboard, browser, context, userDataDir;
  const pageErrors = [];

  before(async () => {
    assert.ok(existsSync(path.join(UI_DIST, "index.html")), `${UI_DIST} is missing: npm ci in tests/`);
    mkdirSync(ARTIFACTS, { recursive: true });
    chat = await startChat(0, ["--admin-ui"]);
    dashboard = await serveDashboard();
    userDataDir = mkdtempSync(path.join(os.tmpdir(), "sio-admin-ui-"));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    context.setDefaultTimeout(WAIT_MS);
  });

  after(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    dashboard?.server.close();
    if (chat) await stopChat(chat);
  });

  it("lists the chat's socket and rooms, and disconnects the chat page from the UI", { timeout: TEST_MS * 2 }, async () => {
    const chatPage = await context.newPage();
    chatPage.on("pageerror", (e) => pageErrors.push(`chat: ${e.message}`));
    await chatPage.setViewportSize(DESKTOP);
    await chatPage.goto(chat.url);
    await chatPage.locator("#status.online").waitFor();
    await setNickname(chatPage, "alice");
    const socketId = await chatPage.evaluate(() => socket.id);
    assert.match(socketId, /^[\w-]{20}$/);

    // The dashboard remembers its server in localStorage: preset it, as after a first login form.
    const admin = await context.newPage();
    admin.on("pageerror", (e) => pageErrors.push(`dashboard: ${e.message}`));
    await admin.setViewportSize({ width: 1400, height: 800 });
    const serverUrl = chat.url.replace(/\/$/, "");
    await admin.addInitScript((url) => {
      localStorage.setItem("server_url", url);
      localStorage.setItem("ws_only", "true");
      localStorage.setItem("path", "/socket.io");
      localStorage.setItem("namespace", "/admin");
    }, serverUrl);
    await admin.goto(`${dashboard.url}#/sockets/`);

    // The Sockets page of namespace "/" lists the chat's socket, with its address and transport.
    const row = admin.locator("tr", { hasText: socketId });
    await row.waitFor();
    await admin.locator("tr", { hasText: socketId }).locator("text=127.0.0.1").waitFor();
    await admin.screenshot({ path: path.join(ARTIFACTS, "admin-ui-sockets.png") });
    if (process.env.SIO_DOCS_SCREENSHOT === "1") await admin.screenshot({ path: SCREENSHOT });

    // The Rooms page (private rooms shown) lists the chat's room and the socket's own.
    await admin.goto(`${dashboard.url}#/rooms/`);
    await admin.locator("tr", { hasText: "general" }).waitFor();
    await admin.screenshot({ path: path.join(ARTIFACTS, "admin-ui-rooms.png") });

    // The disconnect button of the socket's row: the chat page is disconnected by the server.
    await admin.goto(`${dashboard.url}#/sockets/`);
    await admin.bringToFront();
    await admin.locator("tr", { hasText: socketId }).locator("button").click();
    await chatPage.locator("#messages li.notice", { hasText: "disconnected by the server" }).waitFor();
    assert.equal(await chatPage.evaluate(() => socket.connected), false);
    // (The click also opened the socket's page.) Back on the list, "/" has no socket any more.
    await admin.goto(`${dashboard.url}#/sockets/`);
    await admin.locator("td", { hasText: "No data available" }).waitFor();
    await admin.locator("tr", { hasText: socketId }).first().waitFor({ state: "detached" });
    await admin.screenshot({ path: path.join(ARTIFACTS, "admin-ui-after-disconnect.png") });
    assert.deepEqual(pageErrors, []);
  });
});
