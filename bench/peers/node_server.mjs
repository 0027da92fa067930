// The Node peer of the benchmark: npm socket.io 4.8 (default `ws` engine), same contract as
// bench/sio_bench_server.cpp (see bench/README.md).
//
//   node bench/peers/node_server.mjs PORT [--recovery] [--redis URL [--key KEY]]
//
// socket.io is loaded from tests/node_modules (pinned there by tests/package-lock.json).
//
// --redis makes it one node of a cluster (bench/cluster.sh): @socket.io/redis-adapter 8.3
// (createAdapter, classic pub/sub) on node-redis 5, loaded from tests/node_modules when they are
// there, else from the npm prefix named by SIO_BENCH_NODE_PREFIX (a directory holding node_modules).
//
// --recovery sets connectionStateRecovery: {} (the defaults; bench/recovery.sh): socket.emit then
// goes through the adapter and every event sent to a room carries an offset as its last argument.
import { createServer } from "node:http";
import { createRequire } from "node:module";

const require = createRequire(new URL("../../tests/package.json", import.meta.url));
const { Server } = require("socket.io");

const port = Number(process.argv[2]);
const options = { redis: "", key: "socket.io", recovery: false };
let usageError = !Number.isInteger(port);
for (let i = 3; !usageError && i < process.argv.length; ++i) {
  const name = process.argv[i];
  const hasValue = i + 1 < process.argv.length;
  if (name === "--recovery") options.recovery = true;
  else if (name === "--redis" && hasValue) options.redis = process.argv[++i];
  else if (name === "--key" && hasValue) options.key = process.argv[++i];
  else usageError = true;
}
if (usageError) {
  console.error("usage: node node_server.mjs PORT [--recovery] [--redis URL [--key KEY]]");
  process.exit(2);
}

/** The cluster's adapter: createAdapter over two node-redis clients (publish, subscribe). */
async function redisAdapter() {
  let load = require;
  try {
    require.resolve("@socket.io/redis-adapter");
  } catch {
    const prefix = process.env.SIO_BENCH_NODE_PREFIX;
    if (!prefix) throw new Error("@socket.io/redis-adapter is not in tests/node_modules: set SIO_BENCH_NODE_PREFIX");
    load = createRequire(`${prefix}/package.json`);
  }
  const { createAdapter } = load("@socket.io/redis-adapter");
  const { createClient } = load("redis");
  const pubClient = createClient({ url: options.redis });
  const subClient = pubClient.duplicate();
  for (const client of [pubClient, subClient]) client.on("error", (err) => console.error(`redis: ${err.message}`));
  await Promise.all([pubClient.connect(), subClient.connect()]);
  return createAdapter(pubClient, subClient, { key: options.key });
}

const httpServer = createServer();
const serverOptions = { path: "/socket.io/", transports: ["polling", "websocket"] };
if (options.redis) serverOptions.adapter = await redisAdapter();
if (options.recovery) serverOptions.connectionStateRecovery = {};
const io = new Server(httpServer, serverOptions);
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
