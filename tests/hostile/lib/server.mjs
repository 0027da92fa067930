// The server under attack: one fresh process per sweep point, so that its VmHWM (peak resident
// memory, /proc/PID/status) belongs to that point alone.
//
// - ASan builds run with a small quarantine (freed memory is held back for use-after-free checks;
//   the default 256 MiB would hide everything a test measures) and ASan's own RSS ceiling.
// - A watchdog reads VmRSS every 10 ms and kills the process past `rssCapMiB`, so that an input
//   that still multiplies memory (today: up to several GB) fails its test instead of the machine.
// - stop() sends SIGTERM and returns how the process ended: a clean end is status 0, no signal and
//   no sanitizer report on stderr.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const TESTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLIENT_DIST = path.join(TESTS_DIR, "node_modules", "socket.io-client", "dist");

export function buildDir() {
  return path.resolve(TESTS_DIR, process.env.SIO_BUILD_DIR || "../build");
}

const BINARIES = {
  sio: ["examples", "sio_fixture", "sio_fixture"],
  engine: ["examples", "engine_echo", "sio_engine_echo"],
};

/** The engine path each server kind answers on. */
export const ENGINE_PATH = { sio: "/socket.io/", engine: "/engine.io/" };

let sanitizedCache;
/** True when SIO_BUILD_DIR was configured with AddressSanitizer (its CMakeCache says so). */
export function sanitized() {
  if (sanitizedCache === undefined) {
    const cache = path.join(buildDir(), "CMakeCache.txt");
    sanitizedCache = existsSync(cache) && /^CMAKE_CXX_FLAGS:STRING=.*-fsanitize=[^ ]*address/m.test(readFileSync(cache, "utf8"));
  }
  return sanitizedCache;
}

const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer)|runtime error:|SUMMARY: (Address|Leak|Undefined|Thread)/;

/** The first lines of a sanitizer report in `text`, or null. */
export function sanitizerReport(text) {
  const m = SANITIZER_REPORT.exec(text);
  return m ? text.slice(Math.max(0, m.index - 200), m.index + 3000) : null;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const WATCH_INTERVAL_MS = 10;

/** VmHWM, VmRSS (KiB) and Threads of a live process, or null once it is gone. */
export function procStatus(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN);
  const status = { hwmKiB: field("VmHWM"), rssKiB: field("VmRSS"), threads: field("Threads") };
  return Number.isNaN(status.hwmKiB) ? null : status; // a zombie has no memory fields
}

/** CPU time (clock ticks, user + system) a process has used, or null once it is gone. */
export function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  } catch {
    return null;
  }
}

/**
 * Start `kind` ("sio" or "engine") with `args` (`--port 0 --host 127.0.0.1` added) and wait for
 * its `listening <port>` line. `rssCapMiB`: the watchdog's limit.
 */
export async function startServer(kind, args = [], { rssCapMiB = 1024, env = {} } = {}) {
  const bin = path.join(buildDir(), ...BINARIES[kind]);
  if (!existsSync(bin)) throw new Error(`${bin} not found: build it (target ${BINARIES[kind][2]}) or set SIO_BUILD_DIR`);
  args = ["--port", "0", "--host", "127.0.0.1", ...args];
  const asan = [
    "quarantine_size_mb=4",
    "thread_local_quarantine_size_kb=256",
    `hard_rss_limit_mb=${rssCapMiB}`,
    "detect_leaks=1",
    process.env.ASAN_OPTIONS || "",
  ].filter(Boolean).join(":");
  const proc = spawn(bin, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ASAN_OPTIONS: asan, UBSAN_OPTIONS: "print_stacktrace=1:halt_on_error=1", ...env },
  });

  let stderr = "";
  let stdout = "";
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > 256 * 1024) stderr = stderr.slice(0, 64 * 1024) + "\n[...]\n" + stderr.slice(-128 * 1024);
  });
  let exitInfo = null;
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve((exitInfo = { code, signal }))));

  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`${kind} server did not print "listening <port>" within ${START_TIMEOUT_MS} ms\nstderr: ${stderr}`));
    }, START_TIMEOUT_MS);
    proc.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited before listening (code ${code}, signal ${signal})\nstdout: ${stdout}\nstderr: ${stderr}`));
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

  // The watchdog: the last status seen survives the process, and a kill for memory is recorded.
  let last = procStatus(proc.pid);
  let killedForRss = null;
  const watchdog = setInterval(() => {
    const s = procStatus(proc.pid);
    if (!s || exitInfo) return;
    last = s;
    if (s.rssKiB > rssCapMiB * 1024 && !killedForRss) {
      killedForRss = s.rssKiB;
      proc.kill("SIGKILL");
    }
  }, WATCH_INTERVAL_MS);
  watchdog.unref();
  exited.then(() => clearInterval(watchdog));

  return {
    kind,
    args,
    pid: proc.pid,
    port,
    host: "127.0.0.1",
    enginePath: ENGINE_PATH[kind],
    url: `http://127.0.0.1:${port}`,
    exited,
    get alive() {
      return exitInfo === null;
    },
    get stderr() {
      return stderr;
    },
    /** How the process ended, if it did: { code, signal } (null while it runs). */
    get exitInfo() {
      return exitInfo;
    },
    /** RSS over the cap: the watchdog killed it (KiB seen), else null. */
    get killedForRss() {
      return killedForRss;
    },
    /** Peak resident memory so far (KiB); the watchdog's last reading once the process is gone. */
    hwmKiB() {
      const s = procStatus(proc.pid);
      if (s && !exitInfo) last = s;
      return Math.max(last?.hwmKiB ?? 0, killedForRss ?? 0);
    },
    rssKiB() {
      return procStatus(proc.pid)?.rssKiB ?? null;
    },
    /** Open descriptors of the server process. */
    fdCount() {
      try {
        return readdirSync(`/proc/${proc.pid}/fd`).length;
      } catch {
        return null;
      }
    },
    cpuTicks() {
      return cpuTicks(proc.pid);
    },
    /** SIGTERM, then the exit: { code, signal, stderr, report } (report: a sanitizer report or null). */
    async stop() {
      if (!exitInfo) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      return { ...exitInfo, stderr, report: sanitizerReport(stderr) };
    },
    /** Kill without asking (a test that is already failing). */
    kill() {
      if (!exitInfo) proc.kill("SIGKILL");
      return exited;
    },
  };
}


/**
 * Resolves once the server has used no CPU for `quietMs` (it has done all the work the input
 * asked for); rejects after `timeoutMs`. Used where the input cannot be followed by a marker on
 * its own path (a peer that never reads). Clock ticks are 10 ms, so quietMs >= 300 is safe.
 */
export async function waitQuiescent(server, { quietMs = 400, timeoutMs = 60_000 } = {}) {
  const start = Date.now();
  let ticks = server.cpuTicks();
  let quietSince = Date.now();
  while (Date.now() - start < timeoutMs) {
    await new Promise((r) => setTimeout(r, 50));
    if (!server.alive) return;
    const now = server.cpuTicks();
    if (now !== ticks) {
      ticks = now;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) {
      return;
    }
  }
  throw new Error(`the server was still busy after ${timeoutMs} ms`);
}
