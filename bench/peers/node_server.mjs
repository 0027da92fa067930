// The Node peer of the benchmark: npm socket.io 4.8 (default `ws` engine), same contract as
// bench/sio_bench_server.cpp (see bench/README.md).
//
//   node bench/peers/node_server.mjs PORT
//
// socket.io is loaded from tests/node_modules (pinned there by tests/package-lock.json).
import { createServer } from "node:http";
import { createRequire } from "node:module";

const require = createRequire(new URL("../../tests/package.json", import.meta.url));
const { Server } = require("socket.io");

const port = Number(process.argv[2]);
if (!Number.isInteger(port)) {
  console.error("usage: node node_server.mjs PORT");
  process.exit(2);
}

const httpServer = createServer();
const io = new Server(httpServer, { path: "/socket.io/", transports: ["polling", "websocket"] });
io.on("connection", (socket) => {
  socket.join("bench");
  socket.on("echo", (data, ack) => {
    if (typeof ack === "function") ack(data);
  });
  socket.on("bcast", (data) => io.to("bench").emit("bcast", data));
});
httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    io.close();
    process.exit(0);
  });
}
