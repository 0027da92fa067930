// One Node node of a Redis cluster: npm socket.io 4.8 with @socket.io/redis-adapter 8.3
// (createAdapter, classic pub/sub) on node-redis 5. The same command line and control API as
// sio's tests/redis/cluster_node.cpp (see there), so that cluster.test.mjs drives both alike.
//
//   node node_node.mjs --port 0 --redis redis://127.0.0.1:6379 --key K --name N [--request-timeout MS]
//                      [--sharded dynamic|static|dynamic-private]
//
// With --sharded: createShardedAdapter in that subscriptionMode on a node-redis createCluster
// (--redis is one node of the Redis Cluster, K the channel prefix).
//
// Prints `listening <port>`; exits with status 0 on SIGTERM once the server and Redis clients
// are closed.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createClient, createCluster } from "redis";

const settings = { port: 0, host: "127.0.0.1", redis: "redis://127.0.0.1:6379", key: "socket.io", name: "node", requestTimeout: 5000, sharded: null };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const [name, value] = [argv[i], argv[i + 1]];
  if (value === undefined) throw new Error(`node_node: missing value for ${name}`);
  if (name === "--port") settings.port = Number(value);
  else if (name === "--host") settings.host = value;
  else if (name === "--redis") settings.redis = value;
  else if (name === "--key") settings.key = value;
  else if (name === "--name") settings.name = value;
  else if (name === "--request-timeout") settings.requestTimeout = Number(value);
  else if (name === "--sharded") settings.sharded = value;
  else throw new Error(`node_node: unknown argument ${name}`);
}

// Reconnect quickly after a Redis restart (the default backoff grows to 500 ms as well).
const redisOptions = { url: settings.redis, socket: { reconnectStrategy: (retries) => Math.min(50 * (retries + 1), 500) } };
const pubClient = settings.sharded ? createCluster({ rootNodes: [redisOptions] }) : createClient(redisOptions);
const subClient = pubClient.duplicate();
// node-redis emits "error" on every lost connection; unhandled, it would end the process.
for (const [role, client] of [["pub", pubClient], ["sub", subClient]]) {
  client.on("error", (err) => process.stderr.write(`node_node ${settings.name}: redis ${role}: ${err.message}\n`));
}
await Promise.all([pubClient.connect(), subClient.connect()]);
// The adapter does not await its publishes: one in flight when Redis goes away rejects unhandled,
// which would end this node; the cluster test restarts Redis on purpose, so say it and go on.
process.on("unhandledRejection", (err) => process.stderr.write(`node_node ${settings.name}: unhandled rejection: ${err?.message ?? err}\n`));

const http = createServer();
const io = new Server(http, {
  adapter: settings.sharded
    ? createShardedAdapter(pubClient, subClient, { channelPrefix: settings.key, subscriptionMode: settings.sharded })
    : createAdapter(pubClient, subClient, { key: settings.key, requestsTimeout: settings.requestTimeout }),
});

/** The broadcast operator a request selects: to/except its rooms, volatile and timeout if asked. */
function select(request) {
  let op = io.to(request.to ?? []);
  if (request.except?.length) op = op.except(request.except);
  if (request.volatile) op = op.volatile;
  if (typeof request.timeout === "number") op = op.timeout(request.timeout);
  return op;
}

const sorted = (rooms) => [...rooms].sort();
const result = (err, name, list) => (err ? { [name]: list, error: err.message } : { [name]: list });

io.on("connection", (socket) => {
  socket.data = {};
  socket.on("whoami", (ack) => ack({ id: socket.id, node: settings.name }));
  socket.on("set-data", (data, ack) => {
    socket.data = data;
    ack?.("ok");
  });
  socket.on("rooms", (ack) => ack(sorted(socket.rooms)));
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack?.(sorted(socket.rooms));
  });

  socket.on("do-broadcast", (request, ack) => {
    select(request).emit(request.event, ...(request.args ?? []));
    ack?.("ok");
  });
  socket.on("do-fetch", async (request, ack) => {
    try {
      const found = await select(request).fetchSockets();
      ack(found.map((s) => ({ id: s.id, rooms: sorted(s.rooms), data: s.data, handshake: s.handshake })));
    } catch (err) {
      ack({ error: err.message });
    }
  });
  socket.on("do-remoteEmit", async (request, ack) => {
    try {
      const found = await select(request).fetchSockets();
      for (const s of found) s.emit(request.event, ...(request.args ?? []));
      ack(found.length);
    } catch (err) {
      ack({ error: err.message });
    }
  });
  socket.on("do-join", (request, ack) => {
    select(request).socketsJoin(request.rooms);
    ack?.("ok");
  });
  socket.on("do-leave", (request, ack) => {
    select(request).socketsLeave(request.rooms);
    ack?.("ok");
  });
  socket.on("do-disconnect", (request, ack) => {
    select(request).disconnectSockets(Boolean(request.close));
    ack?.("ok");
  });
  socket.on("do-serverSideEmit", (request, ack) => {
    if (!request.ack) {
      io.serverSideEmit(request.event, ...(request.args ?? []));
      return ack?.("ok");
    }
    io.serverSideEmit(request.event, ...(request.args ?? []), (err, replies) => ack(result(err, "replies", replies)));
  });
  socket.on("do-broadcastWithAck", (request, ack) => {
    select(request).emit(request.event, ...(request.args ?? []), (err, responses) => ack(result(err, "responses", responses)));
  });
  socket.on("do-serverCount", async (ack) => {
    try {
      ack(await io.of("/").adapter.serverCount());
    } catch (err) {
      ack({ error: err.message });
    }
  });
  socket.on("do-allRooms", async (ack) => {
    try {
      ack(sorted(await io.of("/").adapter.allRooms()));
    } catch (err) {
      ack({ error: err.message });
    }
  });
});

// Server-side events from the other nodes: passed to this node's clients, and answered.
io.on("sse", (...args) => {
  const reply = typeof args.at(-1) === "function" ? args.pop() : null;
  io.local.emit("sse", { node: settings.name, event: "sse", args });
  reply?.({ node: settings.name, args });
});

http.listen(settings.port, settings.host, () => {
  process.stdout.write(`listening ${http.address().port}\n`);
});

process.on("SIGTERM", async () => {
  io.close();
  await Promise.allSettled([pubClient.quit(), subClient.quit()]);
  process.exit(0);
});
