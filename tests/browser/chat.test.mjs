// The chat example (examples/chat) in a real browser: Debian's chromium, headless, driven by
// playwright-core. Several pages chat with each other through sio_chat, once with the default
// transports (polling, then the upgrade to WebSocket) and once forcing long-polling only
// (?transports=polling on the page's address).
//
//   cd tests && SIO_BUILD_DIR=../build node --test browser/
//
// env: SIO_BUILD_DIR (sio build tree, default ../build), SIO_CHROMIUM (default /usr/bin/chromium).
// Screenshots go to tests/artifacts/. Every wait is a Playwright waitFor* with a timeout; absence
// of a message is proven by a later message of the same sender that the page did get (the server
// handles one client's events in order, and one connection delivers in order).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it, before, after } from "node:test";
import { chromium } from "playwright-core";
import {
  ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, TEST_MS, WAIT_MS, click, joinRoom, message, nextNotice, notice, send,
  setNickname, startChat, stopChat, texts, transportOf, typeUntilSeen, userRow, waitForLog,
} from "../lib/chat.mjs";

// ---------------------------------------------------------------------------------------------
// The scenario, once per transport mode

for (const mode of ["default", "polling"]) {
  const query = mode === "polling" ? "?transports=polling" : "";
  const finalTransport = mode === "polling" ? "polling" : "websocket";

  describe(`chat in chromium, ${mode === "polling" ? "long-polling only" : "default transports (upgrade to WebSocket)"}`, () => {
    let server, context, userDataDir;
    const pages = {};
    const links = {};
    const pageErrors = [];

    /** A way to drop the page's link to the server without the server noticing: over WebSocket,
     *  Playwright relays the socket and closes only the page's side; over polling, the page's next
     *  requests fail (the server's side of a long-poll just stays without a GET). */
    async function breakableLink(page) {
      const link = { current: null };
      if (mode === "polling") {
        const pattern = /\/socket\.io\/\?/;
        link.cut = () => page.route(pattern, (route) => route.abort("connectionreset"));
        link.restore = () => page.unroute(pattern);
      } else {
        await page.routeWebSocket(/\/socket\.io\//, (ws) => {
          const conn = { ws, server: ws.connectToServer(), cut: false };
          ws.onClose(() => { if (!conn.cut) conn.server.close(); });
          conn.server.onClose(() => { if (!conn.cut) ws.close(); });
          link.current = conn;
        });
        link.cut = async () => {
          link.current.cut = true;
          await link.current.ws.close({ code: 4000, reason: "link dropped" });
        };
        link.restore = async () => {};
      }
      return link;
    }

    async function openPage(name, viewport = DESKTOP) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      if (name === "alice") links.alice = await breakableLink(page);
      page.on("pageerror", (e) => pageErrors.push(`${name}: ${e.message}`));
      page.on("console", (m) => {
        // The browser logs the requests that the link drop and the server restart make fail.
        if (m.type() === "error" && !/^Failed to load resource: net::ERR_CONNECTION_(REFUSED|RESET)$/.test(m.text()))
          pageErrors.push(`${name}: console: ${m.text()}`);
      });
      await page.goto(server.url + query);
      await page.locator("#status.online").waitFor();
      pages[name] = page;
      return page;
    }

    /** The page's status and socket.io-client agree on the transport we expect in this mode. */
    async function assertTransport(page, expected = finalTransport) {
      await page.locator(`#status[data-transport="${expected}"]`).waitFor();
      assert.equal(await transportOf(page), expected);
    }

    async function screenshot(page, name) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `chat-${mode}-${name}.png`) });
    }

    before(async () => {
      server = await startChat();
      userDataDir = mkdtempSync(path.join(os.tmpdir(), "sio-chat-chromium-"));
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: DESKTOP,
      });
      context.setDefaultTimeout(WAIT_MS);
    });

    after(async () => {
      await context?.close();
      if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
      if (server) await stopChat(server, "SIGINT");
    });

    it("three pages load, connect, and end on the expected transport", { timeout: TEST_MS }, async () => {
      for (const name of ["alice", "bob", "carol"]) await openPage(name);
      for (const page of Object.values(pages)) await assertTransport(page);
      // Every page started on polling (the server logs the transport of the first request).
      assert.equal((server.stdout.match(/connected +\S+ over polling/g) || []).length, 3, server.stdout);
      await screenshot(pages.alice, "welcome");
    });

    it("nicknames are set with an ack, a taken one is refused", { timeout: TEST_MS }, async () => {
      const { alice, bob, carol } = pages;
      await setNickname(alice, "alice");
      await bob.fill("#nick", "alice");
      await click(bob, "#nick-button");
      await bob.locator("#nick-error", { hasText: "That nickname is taken" }).waitFor();
      assert.ok(await bob.isVisible("#welcome"), "the dialog stays open");
      assert.ok(await bob.isDisabled("#input"), "no chatting without a nickname");
      await setNickname(bob, "bob");
      assert.ok(await bob.isHidden("#nick-error"));
      await setNickname(carol, "carol");
      assert.match(server.stdout, /nickname +\S+ is alice\n/);
    });

    it("the user list updates on every page", { timeout: TEST_MS }, async () => {
      for (const page of Object.values(pages)) {
        for (const nickname of ["alice", "bob", "carol"]) await userRow(page, nickname).waitFor();
        assert.equal(await page.textContent("#user-count"), "3");
      }
      assert.ok(await userRow(pages.alice, "alice").evaluate((li) => li.classList.contains("me")));
      await notice(pages.alice, "carol joined").waitFor();
    });

    it("messages go both ways, with the sender and a timestamp", { timeout: TEST_MS }, async () => {
      const { alice, bob, carol } = pages;
      await send(alice, "Hello from alice");
      for (const page of [alice, bob, carol]) await message(page, "Hello from alice").waitFor();
      assert.equal(await message(bob, "Hello from alice").locator(".from").textContent(), "alice");
      assert.match(await message(bob, "Hello from alice").locator(".time").textContent(), /\d{1,2}:\d{2}/);
      assert.ok(await message(alice, "Hello from alice").evaluate((li) => li.classList.contains("mine")));
      assert.ok(!(await message(bob, "Hello from alice").evaluate((li) => li.classList.contains("mine"))));
      await send(bob, "Hi alice, bob here <b>not bold</b>");
      await message(alice, "Hi alice, bob here").waitFor();
      assert.equal(await message(alice, "Hi alice").locator(".text").textContent(), "Hi alice, bob here <b>not bold</b>");
      assert.match(server.stdout, /message +#general alice: Hello from alice/);
    });

    it("the typing indicator shows on the others' pages and clears with the message", { timeout: TEST_MS }, async () => {
      const { alice, bob, carol } = pages;
      await typeUntilSeen(bob, alice, "bob");
      await carol.locator("#typing", { hasText: "bob is typing…" }).waitFor();
      assert.equal(await bob.textContent("#typing"), "", "bob does not see himself typing");
      await bob.keyboard.type(" done");
      const text = await bob.inputValue("#input");
      await bob.press("#input", "Enter");
      await message(alice, text).waitFor();
      assert.equal(await alice.textContent("#typing"), "", "a message from bob ends his typing hint");
    });

    it("rooms: a message in #games is not seen in #general", { timeout: TEST_MS }, async () => {
      const { alice, bob, carol } = pages;
      await joinRoom(bob, "games");
      await joinRoom(carol, "games");
      await alice.locator('#users li[data-nickname="carol"][data-room="games"]').waitFor();
      await alice.locator('#rooms li[data-room="games"] .count', { hasText: "2" }).waitFor();
      await notice(bob, "You joined #games").waitFor();
      await send(carol, "Only for #games");
      await message(bob, "Only for #games").waitFor();
      await message(carol, "Only for #games").waitFor();
      // carol goes back to #general and talks: alice gets that, and never got the #games message.
      await click(carol, '#rooms li[data-room="general"] button');
      await carol.locator("#room-title", { hasText: "#general" }).waitFor();
      await send(carol, "carol is back in #general");
      await message(alice, "carol is back in #general").waitFor();
      assert.ok(!(await texts(alice)).includes("Only for #games"), "a #games message reached #general");
      assert.ok(!(await texts(bob)).includes("carol is back in #general"), "a #general message reached #games");
      assert.ok(!(await texts(bob)).includes("Hello from alice"), "joining a room starts a fresh message list");
    });

    it("a private message reaches only its target", { timeout: TEST_MS }, async () => {
      const { alice, bob, carol } = pages;
      await click(alice, userRow(alice, "bob").locator("button.dm"));
      await alice.locator("#dm-chip", { hasText: "to bob" }).waitFor();
      await send(alice, "psst, bob");
      await message(bob, "psst, bob").waitFor();  // bob is in #games: private messages ignore rooms
      assert.equal(await message(bob, "psst, bob").locator(".tag").textContent(), "private to you");
      await message(alice, "psst, bob").locator(".tag", { hasText: "private to bob" }).waitFor();
      await click(alice, "#dm-cancel");
      await alice.locator("#dm-chip").waitFor({ state: "hidden" });
      await send(alice, "public again");
      await message(carol, "public again").waitFor();
      assert.ok(!(await texts(carol)).includes("psst, bob"), "carol saw a private message to bob");
      assert.match(server.stdout, /private +alice -> bob/);
    });

    it("a page on a phone-sized window chats too", { timeout: TEST_MS }, async () => {
      const phone = await openPage("pat", PHONE);
      await screenshot(phone, "phone-welcome");
      await setNickname(phone, "pat");
      await assertTransport(phone);
      await send(phone, "Hello from my phone");
      await message(pages.alice, "Hello from my phone").waitFor();
      await send(pages.alice, "Welcome pat! This is a longer message to see how the bubbles wrap on a narrow screen.");
      await message(phone, "Welcome pat!").waitFor();
      const drawer = await phone.locator("#sidebar").boundingBox();
      assert.ok(drawer.x + drawer.width <= 0, `the drawer starts closed, off the screen to the left (x ${drawer.x}, width ${drawer.width})`);
      await screenshot(phone, "phone");
      await click(phone, "#menu");
      await userRow(phone, "alice").locator("button.dm").waitFor({ state: "visible" });
      await phone.waitForFunction(() => document.getElementById("sidebar").getBoundingClientRect().x >= 0);
      await screenshot(phone, "phone-drawer");
      await click(phone, userRow(phone, "alice").locator("button.dm"));  // picks alice and closes the drawer
      await phone.locator("#dm-chip", { hasText: "to alice" }).waitFor();
      await send(phone, "a private hello from the phone");
      await message(pages.alice, "a private hello from the phone").waitFor();
      await send(pages.alice, "Back to the desktop");
      await screenshot(pages.alice, "desktop");
    });

    it("closing a page tells the others", { timeout: TEST_MS }, async () => {
      const { alice, carol } = pages;
      await pages.pat.close();
      delete pages.pat;
      await notice(alice, "pat left").waitFor();
      await notice(carol, "pat left").waitFor();
      await userRow(alice, "pat").waitFor({ state: "detached" });
      assert.equal(await alice.textContent("#user-count"), "3");
    });

    it("a dropped link: the page recovers its session (nickname, room, missed messages) without a rejoin; the others see nothing", { timeout: TEST_MS }, async () => {
      const { alice, carol } = pages;
      const oldId = await alice.evaluate(() => socket.id);
      const carolNotices = await carol.locator("#messages li.notice").allTextContents();
      const claims = (server.stdout.match(/nickname +\S+ is alice/g) ?? []).length;
      const lost = await nextNotice(alice, "Connection lost");
      const back = await nextNotice(alice, "Reconnected", 15_000);
      await links.alice.cut();
      // Sent while alice is away (over polling this also makes the server answer the pending GET,
      // so that the page notices the drop at its next request).
      await send(carol, "are you there, alice?");
      await lost();
      assert.match((await notice(alice, "Connection lost").last().textContent()), mode === "polling" ? /transport error/ : /transport close/);
      await send(carol, "still away?");
      await links.alice.restore();
      await back();
      // The server had not seen the drop: the page's private id took the session over from the
      // old connection, which closed at once (not after a ping timeout).
      const [, reason] = await waitForLog(server, new RegExp(`disconnected +${oldId} \\(([^)]*)\\)`));
      assert.equal(reason, "forced close");
      await waitForLog(server, new RegExp(`recovered +${oldId} `));
      assert.deepEqual(await alice.evaluate(() => [socket.recovered, socket.id]), [true, oldId]);
      await assertTransport(alice);
      assert.equal(await alice.textContent("#me-name"), "alice");
      // What it missed arrived, once each, in order.
      await message(alice, "still away?").waitFor();
      const got = (await texts(alice)).filter((t) => t === "are you there, alice?" || t === "still away?");
      assert.deepEqual(got, ["are you there, alice?", "still away?"]);
      assert.equal((server.stdout.match(/nickname +\S+ is alice/g) ?? []).length, claims, "no rejoin: the nickname was never claimed again");
      await send(alice, "alice is back");
      await message(carol, "alice is back").waitFor();
      assert.deepEqual(await carol.locator("#messages li.notice").allTextContents(), carolNotices, "no left/joined notices");
      assert.equal(await userRow(carol, "alice").count(), 1);
    });

    it("Ctrl-C: clients are told, the server exits 0; after a restart the pages reconnect", { timeout: TEST_MS }, async () => {
      const { alice, bob, carol } = pages;
      const expected = [];
      for (const page of [alice, bob, carol]) {
        expected.push([page, await nextNotice(page, "The server is shutting down"), await nextNotice(page, "Connection lost (transport close)"),
          await nextNotice(page, "Reconnected", 15_000)]);
      }
      const joined = await alice.locator("#messages li.notice", { hasText: "joined" }).count();
      await stopChat(server, "SIGINT");
      assert.match(server.stdout, /shutting down\n/);
      // Server side of the transport question: what every connection was on when it ended.
      const ended = [...server.stdout.matchAll(/disconnected +\S+ \(([^)]*)\) was on (\w+)/g)];
      assert.ok(ended.length >= 4, server.stdout);
      assert.deepEqual(new Set(ended.map((m) => m[2])), new Set([finalTransport]), server.stdout);
      assert.equal(ended.filter((m) => m[1] === "server shutting down").length, 3, server.stdout);
      for (const [page, goodbye, lost] of expected) {
        await goodbye();
        await lost();
        await page.locator("#status.offline").waitFor();
      }
      server = await startChat(server.port);  // same port: the pages' reconnection finds it
      for (const [page, , , back] of expected) {
        await back();
        await assertTransport(page);
      }
      // Nicknames and rooms were claimed again by the pages.
      for (const [nickname, room] of [["alice", "general"], ["bob", "games"], ["carol", "general"]])
        await alice.locator(`#users li[data-nickname="${nickname}"][data-room="${room}"]`).waitFor();
      assert.equal(await alice.locator("#messages li.notice", { hasText: "joined" }).count(), joined, "rejoining is quiet");
      await send(bob, "bob is back in #games");
      await message(bob, "bob is back in #games").waitFor();
      await send(carol, "carol after the restart");
      await message(alice, "carol after the restart").waitFor();
      assert.ok(!(await texts(alice)).includes("bob is back in #games"));
      await screenshot(alice, "desktop-after-restart");
    });

    it("the pages stayed on the expected transport and raised no errors", { timeout: TEST_MS }, async () => {
      for (const page of Object.values(pages)) assert.equal(await transportOf(page), finalTransport);
      assert.deepEqual(pageErrors, []);
    });
  });
}
