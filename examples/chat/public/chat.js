// The chat page: plain DOM and the socket.io client served by the sio server itself.
const socket = io();
const $ = (id) => document.getElementById(id);
let myNickname = null;
let typingTimer = null;
const typingPeople = new Map();

function time(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function addMessage(parts, cls) {
  const li = document.createElement("li");
  if (cls) li.className = cls;
  for (const [text, partCls] of parts) {
    const span = document.createElement("span");
    span.textContent = text;
    if (partCls) span.className = partCls;
    li.appendChild(span);
  }
  $("messages").appendChild(li);
  $("messages").scrollTop = $("messages").scrollHeight;
}

function notice(text, ms = Date.now()) {
  addMessage([[time(ms), "meta"], [text]], "notice");
}

socket.on("connect", () => {
  $("status").textContent = `online (${socket.io.engine.transport.name})`;
  $("status").className = "status online";
  socket.io.engine.once("upgrade", (t) => { $("status").textContent = `online (${t.name})`; });
  if (myNickname) {
    // Back after a drop: claim the nickname again.
    socket.emit("set nickname", myNickname, () => {});
  }
});
socket.on("disconnect", (reason) => {
  $("status").textContent = "offline";
  $("status").className = "status offline";
  notice(`connection lost (${reason})`);
});
socket.io.on("reconnect", () => notice("reconnected"));

$("nick-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const wanted = $("nick").value.trim();
  socket.emit("set nickname", wanted, (res) => {
    $("nick-error").hidden = res.ok;
    if (!res.ok) { $("nick-error").textContent = res.error; return; }
    myNickname = wanted;
    $("input").disabled = false;
    $("form").querySelector("button").disabled = false;
    $("input").placeholder = "Type a message";
    $("input").focus();
  });
});

$("room-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const room = $("room").value.trim() || "general";
  socket.emit("join room", room, (ok) => {
    if (!ok) return;
    $("current-room").textContent = room;
    $("messages").innerHTML = "";
    notice(`you joined ${room}`);
  });
});

$("form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("input").value.trim();
  if (!text) return;
  socket.emit("chat message", text);
  socket.emit("typing", false);
  $("input").value = "";
});

$("input").addEventListener("input", () => {
  socket.emit("typing", true);
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => socket.emit("typing", false), 1500);
});

socket.on("chat message", (m) => addMessage([[time(m.time), "meta"], [m.from, "from"], [m.text]]));
socket.on("private message", (m) => addMessage([[time(m.time), "meta"], [`${m.from} (private)`, "from"], [m.text]], "private"));
socket.on("notice", (text, ms) => notice(text, ms));

socket.on("typing", (who, typing) => {
  if (typing) typingPeople.set(who, true); else typingPeople.delete(who);
  const names = [...typingPeople.keys()];
  $("typing").textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
});

socket.on("user list", (users) => {
  const ul = $("users");
  ul.innerHTML = "";
  for (const u of users) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = u.nickname;
    const room = document.createElement("span");
    room.className = "room";
    room.textContent = ` #${u.room}`;
    name.appendChild(room);
    li.appendChild(name);
    if (u.id === socket.id) {
      li.className = "me";
    } else {
      const dm = document.createElement("button");
      dm.textContent = "DM";
      dm.title = `Private message to ${u.nickname}`;
      dm.addEventListener("click", () => {
        const text = prompt(`Private message to ${u.nickname}`);
        if (text) socket.emit("private message", u.id, text, () => addMessage([[time(Date.now()), "meta"], [`to ${u.nickname}`, "from"], [text]], "private"));
      });
      li.appendChild(dm);
    }
    ul.appendChild(li);
  }
});
