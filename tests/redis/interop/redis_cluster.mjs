// A 3-master Redis Cluster of a test's own on free loopback ports: three `redis-server
// --cluster-enabled yes`, joined by `redis-cli --cluster create`, stopped by PID.
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A port free on 127.0.0.1 now (the kernel picks it). */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** Resolves once `proc` has written a line matching `pattern` to stdout, bounded. */
function readyLine(proc, pattern, ms, what) {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    proc.stdout.setEncoding("utf8");
    const onData = (d) => {
      out += d;
      if (!pattern.test(out)) return;
      clearTimeout(timer);
      proc.stdout.off("data", onData);
      proc.stdout.resume(); // keep draining its log
      resolve();
    };
    proc.stdout.on("data", onData);
    proc.once("exit", (code) => reject(new Error(`${what}: exited with ${code}`)));
  });
}

export class RedisCluster {
  constructor({ server = "redis-server", cli = "redis-cli", masters = 3 } = {}) {
    Object.assign(this, { server, cli, masters, procs: [], ports: [] });
  }
  async start() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), "sio-redis-cluster-"));
    for (let i = 0; i < this.masters; i++) {
      // The cluster bus listens on port + 10000: both must be free.
      let port;
      do port = await freePort();
      while (port + 10000 > 65535);
      const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir,
        "--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "2000"];
      const proc = spawn(this.server, args, { stdio: ["ignore", "pipe", "inherit"] });
      proc.exited = new Promise((r) => proc.on("exit", r));
      this.procs.push(proc);
      this.ports.push(port);
      await readyLine(proc, /Ready to accept connections/, 10_000, `redis-server on port ${port}`);
    }
    const hosts = this.ports.map((p) => `127.0.0.1:${p}`);
    await run(this.cli, ["--cluster", "create", ...hosts, "--cluster-replicas", "0", "--cluster-yes"], { timeout: 20_000 });
    // Every node must know every slot's owner before clients ask it.
    for (const port of this.ports) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { stdout } = await run(this.cli, ["-h", "127.0.0.1", "-p", String(port), "cluster", "info"]);
        if (/cluster_state:ok/.test(stdout) && new RegExp(`cluster_known_nodes:${this.masters}\\b`).test(stdout)) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster node ${port} not ok: ${stdout}`);
        await new Promise((r) => setTimeout(r, 50)); // between polls of CLUSTER INFO
      }
    }
  }
  get url() {
    return `redis://127.0.0.1:${this.ports[0]}`;
  }
  async remove() {
    for (const proc of this.procs) {
      if (proc.exitCode === null && proc.signalCode === null) {
        process.kill(proc.pid, "SIGKILL");
        await proc.exited;
      }
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
