// The chat page: plain DOM and the socket.io client that the sio server serves itself.
//
// Add ?transports=polling to the address to stay on HTTP long-polling (or ?transports=websocket
// to skip it); by default the client starts on polling and upgrades to WebSocket.
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

// A secret per browser tab, sent in the handshake: when the link drops and comes back before the
// server noticed, the server recognises the tab and gives it its nickname back.
function tabToken() {
  let token = sessionStorage.getItem("sio-chat-token");
  if (!token) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    token = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    sessionStorage.setItem("sio-chat-token", token);
  }
  return token;
}

const options = { auth: { token: tabToken() } };
if (params.get("transports")) options.transports = params.get("transports").split(",");
const socket = io(options);

const me = { nickname: null, room: "general" };
let users = [];
let dmTarget = null;  // { id, nickname } while the composer sends a private message

// --- Rendering ------------------------------------------------------------------------------

function formatTime(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;  // textContent: what people type is never HTML
  return node;
}

function avatar(nickname) {
  let hash = 0;
  for (const c of nickname) hash = (hash * 31 + c.codePointAt(0)) >>> 0;
  const node = el("span", "avatar", [...nickname][0].toUpperCase());
  node.style.background = `hsl(${hash % 360} 55% 48%)`;
  return node;
}

function append(li) {
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.appendChild(li);
  if (atBottom || li.classList.contains("mine")) list.scrollTop = list.scrollHeight;
}

function addMessage({ from, text, time, mine, privateLabel }) {
  const li = el("li", "msg");
  if (mine) li.classList.add("mine");
  if (privateLabel) li.classList.add("private");
  const bubble = el("div", "bubble");
  const head = el("div", "head");
  head.append(el("span", "from", from));
  if (privateLabel) head.append(el("span", "tag", privateLabel));
  head.append(el("time", "time", formatTime(time)));
  bubble.append(head, el("div", "text", text));
  li.append(avatar(from), bubble);
  append(li);
}

function notice(text, time = Date.now()) {
  const li = el("li", "notice");
  li.append(el("span", null, text), el("time", "time", formatTime(time)));
  append(li);
}

function setStatus(state, text, transport = "") {
  $("status").className = `status ${state}`;
  $("status").textContent = text;
  $("status").dataset.transport = transport;
  $("status").title = text;
}

function showTransport(name) {
  setStatus("online", name === "websocket" ? "WebSocket" : "long-polling", name);
  $("status").title = `Connected over ${name === "websocket" ? "WebSocket" : "HTTP long-polling"}`;
}

function renderRooms() {
  const counts = new Map([["general", 0], [me.room, 0]]);
  for (const u of users) counts.set(u.room, (counts.get(u.room) || 0) + 1);
  const ul = $("rooms");
  ul.replaceChildren();
  for (const [room, count] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) {
    const li = el("li");
    li.dataset.room = room;
    const button = el("button", room === me.room ? "room-link current" : "room-link");
    button.type = "button";
    button.append(el("span", null, `#${room}`), el("span", "count", String(count)));
    button.addEventListener("click", () => joinRoom(room));
    li.append(button);
    ul.append(li);
  }
}

function renderUsers() {
  const ul = $("users");
  ul.replaceChildren();
  $("user-count").textContent = users.length;
  const sorted = [...users].sort((a, b) => (b.id === socket.id) - (a.id === socket.id) || a.nickname.localeCompare(b.nickname));
  for (const u of sorted) {
    const li = el("li");
    li.dataset.nickname = u.nickname;
    li.dataset.room = u.room;
    const who = el("span", "who");
    who.append(el("span", "name", u.nickname));
    if (u.id === socket.id) who.append(el("span", "you", " (you)"));
    who.append(el("span", "where", `#${u.room}`));
    li.append(avatar(u.nickname), who);
    if (u.id === socket.id) {
      li.classList.add("me");
    } else {
      const dm = el("button", "dm", "Message");
      dm.type = "button";
      dm.title = `Private message to ${u.nickname}`;
      dm.addEventListener("click", () => startPrivate(u));
      li.append(dm);
    }
    ul.append(li);
  }
  if (dmTarget && !users.some((u) => u.id === dmTarget.id)) stopPrivate();
  renderRooms();
}

function updateComposer() {
  const ready = me.nickname !== null;
  $("input").disabled = !ready;
  $("send").disabled = !ready;
  $("dm-chip").hidden = !dmTarget;
  if (dmTarget) $("dm-name").textContent = dmTarget.nickname;
  $("input").placeholder = dmTarget ? `Private message to ${dmTarget.nickname}` : `Message #${me.room}`;
  $("room-title").textContent = `#${me.room}`;
  $("me-name").textContent = me.nickname || "—";
}

function openDrawer(open) {
  document.body.classList.toggle("drawer-open", open);
  $("backdrop").hidden = !open;
  $("menu").setAttribute("aria-expanded", String(open));
}

// --- Typing indicator -----------------------------------------------------------------------

const typingPeople = new Map();  // nickname -> timer; a hint not refreshed in 4 s expires

function renderTyping() {
  const names = [...typingPeople.keys()];
  $("typing").textContent = names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…`
    : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : "Several people are typing…";
}

function setTyping(nickname, typing) {
  clearTimeout(typingPeople.get(nickname));
  if (typing) typingPeople.set(nickname, setTimeout(() => setTyping(nickname, false), 4000));
  else typingPeople.delete(nickname);
  renderTyping();
}

// The hints are volatile (may be dropped), so "typing" is repeated every second while keys come.
let typingSentAt = 0;
let typingStop = null;
function stopTyping() {
  clearTimeout(typingStop);
  if (typingSentAt) socket.emit("typing", false);
  typingSentAt = 0;
}
$("input").addEventListener("input", () => {
  if (!me.nickname || dmTarget) return;
  if ($("input").value === "") return stopTyping();
  if (Date.now() - typingSentAt > 1000) {
    socket.emit("typing", true);
    typingSentAt = Date.now();
  }
  clearTimeout(typingStop);
  typingStop = setTimeout(stopTyping, 2000);
});

// --- Actions --------------------------------------------------------------------------------

function claimNickname(wanted, done) {
  socket.timeout(5000).emit("set nickname", wanted, (err, res) => {
    if (err) return done("The server did not answer; try again.");
    if (!res.ok) return done(res.error);
    me.nickname = wanted;
    done(null);
  });
}

function joinRoom(room) {
  openDrawer(false);
  if (room === me.room) return;
  socket.emit("join room", room, (ok) => {
    if (!ok) return notice(`Cannot join #${room}`);
    me.room = room;
    typingPeople.forEach(clearTimeout);
    typingPeople.clear();
    renderTyping();
    $("messages").replaceChildren();
    notice(`You joined #${room}`);
    updateComposer();
    renderRooms();
  });
}

function startPrivate(user) {
  stopTyping();
  dmTarget = { id: user.id, nickname: user.nickname };
  openDrawer(false);
  updateComposer();
  $("input").focus();
}

function stopPrivate() {
  dmTarget = null;
  updateComposer();
}

$("nick-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const wanted = $("nick").value.trim();
  const showError = (text) => {
    $("nick-error").textContent = text;
    $("nick-error").hidden = !text;
  };
  if (!wanted) return showError("Please type a nickname.");
  $("nick-button").disabled = true;
  claimNickname(wanted, (error) => {
    $("nick-button").disabled = false;
    showError(error);
    if (error) return $("nick").select();
    $("welcome").hidden = true;
    updateComposer();
    renderUsers();
    $("input").focus();
  });
});

$("room-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const room = $("room").value.trim().replace(/^#/, "");
  if (!room) return;
  $("room").value = "";
  joinRoom(room);
});

$("form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("input").value.trim();
  if (!text || !me.nickname) return;
  $("input").value = "";
  if (dmTarget) {
    const to = dmTarget;
    socket.emit("private message", to.id, text, (ok) => {
      if (ok) addMessage({ from: me.nickname, text, time: Date.now(), mine: true, privateLabel: `private to ${to.nickname}` });
      else notice(`${to.nickname} is no longer here; the message was not sent.`);
    });
  } else {
    stopTyping();
    socket.emit("chat message", text);
  }
});

$("dm-cancel").addEventListener("click", () => { stopPrivate(); $("input").focus(); });
$("menu").addEventListener("click", () => openDrawer(!document.body.classList.contains("drawer-open")));
$("backdrop").addEventListener("click", () => openDrawer(false));

// --- Socket events --------------------------------------------------------------------------

socket.on("connect", () => {
  const engine = socket.io.engine;
  showTransport(engine.transport.name);
  engine.once("upgrade", (transport) => showTransport(transport.name));
  // Back after a dropped link: the server restored this socket (same id, nickname and room) and
  // sends the messages missed meanwhile. Nothing to do.
  if (socket.recovered || !me.nickname) return;
  // Back without the session (a server restart, a cluster without recovery): take the nickname
  // and the room back.
  socket.timeout(5000).emit("rejoin", me.nickname, me.room, (err, res) => {
    if (!err && res.ok) return;
    notice(`Could not get your nickname back: ${err ? "no answer from the server" : res.error}`);
    me.nickname = null;
    me.room = "general";  // where the server puts every new connection
    updateComposer();
    renderRooms();
    $("welcome").hidden = false;
  });
});

socket.on("disconnect", (reason) => {
  setStatus("offline", "offline");
  stopTyping();
  typingPeople.forEach(clearTimeout);
  typingPeople.clear();
  renderTyping();
  if (reason === "io server disconnect") notice("This tab was disconnected by the server (is the chat open in another tab?)");
  else notice(`Connection lost (${reason}); reconnecting…`);
});
socket.io.on("reconnect_attempt", (n) => setStatus("offline", `reconnecting… (${n})`));
socket.io.on("reconnect", () => notice("Reconnected"));

socket.on("user list", (list) => {
  users = list;
  renderUsers();
});
socket.on("notice", (text, time) => notice(text, time));
socket.on("server shutdown", (time, ack) => {
  notice("The server is shutting down", time);
  ack();  // the server waits for this (or a second) before closing the connection
});

socket.on("chat message", (m) => {
  setTyping(m.from, false);
  addMessage({ from: m.from, text: m.text, time: m.time, mine: m.id === socket.id });
});

socket.on("private message", (m) => {
  addMessage({ from: m.from, text: m.text, time: m.time, privateLabel: "private to you" });
});

socket.on("typing", (nickname, typing) => setTyping(nickname, typing));

// Leaving the page says goodbye: without it the server could not tell a closed tab from a dropped
// link, and would hold this nickname for a while in case the page comes back.
window.addEventListener("pagehide", () => socket.disconnect());

updateComposer();
renderRooms();
