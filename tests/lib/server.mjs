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

/**
 * `--threads N` for sio's fixtures when SIO_THREADS=N is set: their io_context then runs on N
 * threads (the TSan stage of scripts/test.sh uses it). The reference servers are single-threaded.
 */
export function threadArgs(impl, args) {
  const n = process.env.SIO_THREADS;
  return impl === "sio" && n && !args.includes("--threads") ? ["--threads", n] : [];
}

function optionValue(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

const START_TIMEOUT_MS = 10_000;
// The fixtures stop their io_context themselves 5 s after close() (and then exit non-zero);
// LeakSanitizer's scan at exit comes on top.
export const STOP_TIMEOUT_MS = 10_000;

/** What AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer and ThreadSanitizer print. */
const SANITIZER_REPORT = /ERROR: (?:Address|Leak)Sanitizer|WARNING: ThreadSanitizer|ThreadSanitizer: |UndefinedBehaviorSanitizer|: runtime error: /;

/** The first sanitizer report in `text` (from its first line, at most 4 kB), or null. */
export function sanitizerReport(text) {
  const m = SANITIZER_REPORT.exec(text);
  if (!m) return null;
  const lineStart = text.lastIndexOf("\n", m.index) + 1;
  return text.slice(lineStart, lineStart + 4096);
}

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
  args.push(...threadArgs(impl, args));
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
 * alive, stderr, sanitizerReports, firstSanitizerReport, stop() }. stop() sends SIGTERM and
 * requires a clean exit: status 0 within STOP_TIMEOUT_MS and no sanitizer report on stderr; it
 * throws otherwise, and also if the server had died on its own before.
 */
export async function spawnListening({ label, impl, cmd, argv, args, host, path: urlPath, tls = false }) {
  const proc = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  // Reports are counted as they arrive, so that one is seen even after the kept tail moved past it.
  let sanitizerReports = 0;
  let firstSanitizerReport = null;
  let unscanned = "";
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > 64 * 1024) stderr = stderr.slice(-64 * 1024);
    // scan whole lines only, so that a report split across two reads is still matched
    unscanned += d;
    const end = unscanned.lastIndexOf("\n") + 1;
    if (end > 0) {
      const lines = unscanned.slice(0, end);
      unscanned = unscanned.slice(end);
      const count = lines.split("\n").filter((line) => SANITIZER_REPORT.test(line)).length;
      if (count && !firstSanitizerReport) firstSanitizerReport = sanitizerReport(lines);
      sanitizerReports += count;
    }
  });

  let exitInfo = null;
  let stopping = false;
  // On "close" rather than "exit", so that stderr has been read to its end; but no later than 1 s
  // after "exit", in case something the server started holds its pipes open.
  const exited = new Promise((resolve) => {
    const done = (code, signal) => {
      if (exitInfo) return;
      if (unscanned && SANITIZER_REPORT.test(unscanned)) {
        sanitizerReports += 1;
        firstSanitizerReport ??= sanitizerReport(unscanned);
      }
      unscanned = "";
      exitInfo = { code, signal };
      resolve(exitInfo);
    };
    proc.on("close", done);
    proc.on("exit", (code, signal) => setTimeout(() => done(code, signal), 1000).unref());
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
    /** Lines of sanitizer reports seen on stderr so far. */
    get sanitizerReports() {
      return sanitizerReports;
    },
    get firstSanitizerReport() {
      return firstSanitizerReport;
    },
    async stop() {
      if (exitInfo && !stopping) {
        throw new Error(`${label} died during the tests (code ${exitInfo.code}, signal ${exitInfo.signal})\nstderr: ${stderr.slice(-4000)}`);
      }
      if (!exitInfo) {
        stopping = true;
        const sentAt = Date.now();
        proc.kill("SIGTERM");
        let timer;
        const inTime = await Promise.race([exited, new Promise((r) => (timer = setTimeout(() => r(null), STOP_TIMEOUT_MS)))]);
        clearTimeout(timer);
        if (!inTime) {
          proc.kill("SIGKILL");
          await exited;
          throw new Error(`${label} did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM (killed)\nstderr: ${stderr.slice(-4000)}`);
        }
        exitInfo.stopMs = Date.now() - sentAt;
      }
      const problems = [];
      if (exitInfo.code !== 0) problems.push(`exit code ${exitInfo.code}, signal ${exitInfo.signal}`);
      if (firstSanitizerReport) problems.push(`${sanitizerReports} sanitizer report line(s), the first:\n${firstSanitizerReport}`);
      if (problems.length) {
        throw new Error(`${label} did not shut down cleanly after SIGTERM: ${problems.join("; ")}\nstderr (end): ${stderr.slice(-4000)}`);
      }
      return exitInfo;
    },
  };
}
