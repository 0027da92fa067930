// The "normal client" of every hostile test: after the attack, an official client connects and
// gets its answer (socket.io-client: an ack of echo-ack; engine.io-client: its message echoed).
import { io } from "socket.io-client";
import { Socket as EngineSocket } from "engine.io-client";

const CLIENT_TIMEOUT_MS = 10_000;

function bounded(promise, ms, what, cleanup) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
    cleanup?.();
  });
}

/** socket.io-client over `mode` ("websocket" | "polling") connects to "/" and gets echo-ack's ack. */
export async function sioClientWorks(server, mode, { timeout = CLIENT_TIMEOUT_MS } = {}) {
  const socket = io(server.url, { forceNew: true, reconnection: false, transports: [mode], timeout });
  const token = `alive-${mode}-${Date.now()}`;
  const answer = await bounded(
    new Promise((resolve, reject) => {
      socket.once("connect_error", (err) => reject(new Error(`socket.io-client (${mode}) connect_error: ${err.message}`)));
      socket.once("connect", () => {
        socket.emit("echo-ack", token, (reply) => resolve(reply));
      });
    }),
    timeout,
    `socket.io-client (${mode}) connect + echo-ack`,
    () => socket.disconnect(),
  );
  if (answer !== token) throw new Error(`socket.io-client (${mode}) got ${JSON.stringify(answer)} instead of its ack ${token}`);
}

/** engine.io-client over `mode` opens a session and gets its message echoed. */
export async function engineClientWorks(server, mode, { timeout = CLIENT_TIMEOUT_MS } = {}) {
  const socket = new EngineSocket(server.url, { transports: [mode], upgrade: false });
  const token = `alive-${mode}-${Date.now()}`;
  const answer = await bounded(
    new Promise((resolve, reject) => {
      socket.on("error", (err) => reject(new Error(`engine.io-client (${mode}) error: ${err.message ?? err}`)));
      socket.on("close", (reason) => reject(new Error(`engine.io-client (${mode}) closed: ${reason}`)));
      socket.on("open", () => socket.send(token));
      socket.on("message", (data) => resolve(data));
    }),
    timeout,
    `engine.io-client (${mode}) open + echo`,
    () => {
      socket.removeAllListeners();
      socket.on("error", () => {});
      socket.close();
    },
  );
  if (answer !== token) throw new Error(`engine.io-client (${mode}) got ${JSON.stringify(answer)} instead of ${token}`);
}

/** The normal clients of a server kind, over WebSocket and over polling. */
export async function normalClientsWork(server) {
  const works = server.kind === "sio" ? sioClientWorks : engineClientWorks;
  await works(server, "websocket");
  await works(server, "polling");
}
