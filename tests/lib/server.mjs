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

/** A line of a sanitizer report, and the first line of one. */
const SANITIZER_LINE = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|ThreadSanitizer|: runtime error: /;
const SANITIZER_REPORT_START = /(?:ERROR|WARNING): (?:Address|Leak|UndefinedBehavior|Thread)Sanitizer|Sanitizer:DEADLYSIGNAL|: runtime error: /;
const STDERR_KEPT = 4 * 1024 * 1024;

/** `text` from `offset` on, at most 120 lines of at most 300 characters (sanitizer frames of templates are long). */
function excerpt(text, offset) {
  return text
    .slice(offset)
    .split("\n", 120)
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line))
    .join("\n");
}

/**
 * A server's stderr, with the sanitizer reports in it: `reports` counts their first lines (a line
 * that mentions a sanitizer without a report's first line counts as one too), `report(i)` shows
 * the i-th. Lines are judged whole, so a report split across two reads is still seen.
 */
export class StderrLog {
  constructor() {
    this.text = "";
    this.truncated = false;
    this.offsets = []; // where each report starts in `text`
    this.pending = "";
    this.inReport = false;
  }

  append(chunk) {
    this.pending += chunk;
    const end = this.pending.lastIndexOf("\n") + 1;
    if (end > 0) this.scan(this.pending.slice(0, end));
    this.pending = this.pending.slice(end);
  }

  /** Scans what is left after the process ended. */
  flush() {
    if (this.pending) this.scan(this.pending);
    this.pending = "";
  }

  scan(lines) {
    for (const line of lines.split(/(?<=\n)/)) {
      if (SANITIZER_REPORT_START.test(line) || (SANITIZER_LINE.test(line) && !this.inReport)) this.offsets.push(this.text.length);
      if (SANITIZER_LINE.test(line)) this.inReport = true;
      if (this.text.length < STDERR_KEPT) this.text += line;
      else this.truncated = true;
    }
  }

  get reports() {
    return this.offsets.length;
  }

  report(i) {
    return i < this.offsets.length ? excerpt(this.text, this.offsets[i]) : null;
  }

  tail(n = 4000) {
    return this.text.slice(-n);
  }
}

/** The first sanitizer report in `text` (an excerpt from its first line), or null. */
export function sanitizerReport(text) {
  const log = new StderrLog();
  log.append(text);
  log.flush();
  return log.report(0);
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
 * alive, stderr, sanitizerReports, sanitizerReport(i), stop() }. stop() sends SIGTERM and
 * requires a clean exit: status 0 within STOP_TIMEOUT_MS and no sanitizer report on stderr; it
 * throws otherwise, and also if the server had died on its own before.
 */
export async function spawnListening({ label, impl, cmd, argv, args, host, path: urlPath, tls = false }) {
  const proc = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  const log = new StderrLog();
  let stdout = "";
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d) => log.append(d));

  let exitInfo = null;
  let stopping = false;
  // On "close" rather than "exit", so that stderr has been read to its end; but no later than 1 s
  // after "exit", in case something the server started holds its pipes open.
  const exited = new Promise((resolve) => {
    const done = (code, signal) => {
      if (exitInfo) return;
      log.flush();
      exitInfo = { code, signal };
      resolve(exitInfo);
    };
    proc.on("close", done);
    proc.on("exit", (code, signal) => setTimeout(() => done(code, signal), 1000).unref());
  });

  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`${label} did not print "listening <port>" within ${START_TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${log.tail()}`));
    }, START_TIMEOUT_MS);
    proc.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${cmd}: ${err.message}`));
    });
    proc.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited before listening (code ${code}, signal ${signal})\nstdout: ${stdout}\nstderr: ${log.tail()}`));
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
    /** The end of stderr. */
    get stderr() {
      return log.tail(64 * 1024);
    },
    /** Sanitizer reports on stderr so far, and the i-th of them. */
    get sanitizerReports() {
      return log.reports;
    },
    sanitizerReport(i) {
      return log.report(i);
    },
    async stop() {
      if (exitInfo && !stopping) {
        throw new Error(`${label} died during the tests (code ${exitInfo.code}, signal ${exitInfo.signal})\nstderr: ${log.report(0) ?? log.tail()}`);
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
          throw new Error(`${label} did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM (killed)\nstderr: ${log.tail()}`);
        }
        exitInfo.stopMs = Date.now() - sentAt;
      }
      const problems = [];
      if (exitInfo.code !== 0) problems.push(`exit code ${exitInfo.code}, signal ${exitInfo.signal}`);
      if (log.reports) problems.push(`${log.reports} sanitizer report(s) on stderr, the first:\n${log.report(0)}`);
      if (problems.length) {
        throw new Error(`${label} did not shut down cleanly after SIGTERM: ${problems.join("; ")}\nstderr (end): ${log.tail(2000)}`);
      }
      return exitInfo;
    },
  };
}
