// Test client for the packaging consumers: connects to 127.0.0.1:<port> with socket.io-client
// (polling, then the upgrade to WebSocket), sends "hello" with an ack, checks the greeting, leaves.
// Usage: node tests/cmake/client.mjs <port> <expected substring>   (exit 0 on success)
import { io } from "socket.io-client";

const [port, expected] = process.argv.slice(2);
if (!port || !expected) {
  console.error("usage: client.mjs <port> <expected substring>");
  process.exit(64);
}
const fail = (why) => {
  console.error(`client: ${why}`);
  process.exit(1);
};
const watchdog = setTimeout(() => fail("no answer within 15 s"), 15000);

const socket = io(`http://127.0.0.1:${port}`, { reconnection: false, timeout: 5000 });
socket.on("connect_error", (err) => fail(`connect_error: ${err.message}`));
socket.on("connect", async () => {
  try {
    // Wait for the upgrade so that both transports are exercised (bounded by the watchdog).
    if (socket.io.engine.transport.name !== "websocket") {
      await new Promise((resolve) => socket.io.engine.once("upgrade", resolve));
    }
    const reply = await socket.timeout(5000).emitWithAck("hello", "client");
    if (typeof reply !== "string" || !reply.includes(expected)) fail(`unexpected reply ${JSON.stringify(reply)}`);
    console.log(`${reply} [${socket.io.engine.transport.name}]`);
    clearTimeout(watchdog);
    socket.disconnect();
  } catch (err) {
    fail(err.message);
  }
});
