// Starts an "engine echo server" (see tests/README.md for the contract) as a child process.
//
// SIO_IMPL=sio (default): ${SIO_BUILD_DIR:-../build}/examples/engine_echo/sio_engine_echo
// SIO_IMPL=ref          : node fixtures/engine_echo_ref.mjs (npm engine.io)
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const TESTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const IMPL = process.env.SIO_IMPL || "sio";
if (IMPL !== "sio" && IMPL !== "ref") {
  throw new Error(`SIO_IMPL must be "sio" or "ref", got "${IMPL}"`);
}

export function sioEngineBinary() {
  const buildDir = path.resolve(TESTS_DIR, process.env.SIO_BUILD_DIR || "../build");
  return path.join(buildDir, "examples", "engine_echo", "sio_engine_echo");
}

function commandFor(impl, args) {
  if (impl === "ref") {
    return [process.execPath, [path.join(TESTS_DIR, "fixtures", "engine_echo_ref.mjs"), ...args]];
  }
  const bin = sioEngineBinary();
  if (!existsSync(bin)) {
    throw new Error(`sio engine echo binary not found at ${bin} (build it, set SIO_BUILD_DIR, or run with SIO_IMPL=ref)`);
  }
  return [bin, args];
}

function optionValue(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Spawn the implementation chosen by SIO_IMPL with the fixture command line `args`
 * (`--port 0 --host 127.0.0.1` are added unless given) and wait for `listening <port>`.
 * Returns { port, host, url, path, impl, args, proc, exited, stop() }.
 * stop() sends SIGTERM and awaits the exit; it throws if the server had died on its own before.
 */
export async function startEngineServer(args = [], { impl = IMPL } = {}) {
  args = [...args];
  if (!args.includes("--port")) args.unshift("--port", "0");
  if (!args.includes("--host")) args.push("--host", "127.0.0.1");
  const [cmd, argv] = commandFor(impl, args);
  return spawnListening({
    label: `${impl} server`,
    impl,
    cmd,
    argv,
    args,
    host: optionValue(args, "--host", "127.0.0.1"),
    path: optionValue(args, "--path", "/engine.io/"),
    tls: args.includes("--tls-cert"),
  });
}

/**
 * Spawn `cmd argv` and wait (bounded) for its `listening <port>` line. Shared by the Engine.IO and
 * the Socket.IO fixtures. Returns { impl, args, host, port, path, tls, url, wsUrl, proc, exited,
 * alive, stderr, stop() }; stop() sends SIGTERM and awaits the exit, and throws if the server had
 * died on its own before.
 */
export async function spawnListening({ label, impl, cmd, argv, args, host, path: urlPath, tls = false }) {
  const proc = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > 64 * 1024) stderr = stderr.slice(-64 * 1024);
  });

  let exitInfo = null;
  let stopping = false;
  const exited = new Promise((resolve) => {
    proc.on("exit", (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });

  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`${label} did not print "listening <port>" within ${START_TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, START_TIMEOUT_MS);
    proc.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${cmd}: ${err.message}`));
    });
    proc.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited before listening (code ${code}, signal ${signal})\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (d) => {
      stdout += d;
      const m = /^listening (\d+)\r?$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });

  return {
    impl,
    args,
    host,
    port,
    path: urlPath,
    tls,
    url: `${tls ? "https" : "http"}://${host}:${port}`,
    wsUrl: `${tls ? "wss" : "ws"}://${host}:${port}`,
    proc,
    exited,
    get alive() {
      return exitInfo === null;
    },
    get stderr() {
      return stderr;
    },
    async stop() {
      if (exitInfo && !stopping) {
        throw new Error(`${label} died during the tests (code ${exitInfo.code}, signal ${exitInfo.signal})\nstderr: ${stderr}`);
      }
      if (exitInfo) return exitInfo;
      stopping = true;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), STOP_TIMEOUT_MS);
      const info = await exited;
      clearTimeout(timer);
      return info;
    },
  };
}
