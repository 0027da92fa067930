// The shape of every hostile test: one attack, swept over x1, x10 and x100 of its count or size,
// each point on a fresh server process. Each point asserts
//   (a) the server survives, and exits with status 0 and no sanitizer report on SIGTERM;
//   (b) its peak RSS grows by at most  constMiB + k * bytesSent  over its baseline;
//   (c) normal clients (WebSocket and polling) connect and get their answer afterwards.
// The bound depends on the bytes the attacker sent, never on the counts inside them: that the same
// k and constant hold at x1, x10 and x100 is what shows that a class of input is closed.
//
// The baseline is VmHWM after startup and after one round of normal clients (so that buffers
// every first connection allocates are in it). Under ASan the bound is looser by a fixed amount
// and a factor (shadow memory, redzones, the 4 MiB quarantine): ASAN_EXTRA_MIB and ASAN_K below.
//
// HOSTILE_RESULTS=<file> appends one JSON line per point (lib/table.mjs prints them as a table).
import { test } from "node:test";
import { appendFileSync } from "node:fs";
import path from "node:path";
import { startServer, sanitized } from "./server.mjs";
import { normalClientsWork } from "./clients.mjs";

export const ASAN_EXTRA_MIB = 8;
export const ASAN_K = 1.5;
const MiB = 1024 * 1024;

/** The allowed growth of VmHWM over the baseline, in KiB. */
export function allowedGrowthKiB({ k, constMiB }, bytesSent) {
  const asan = sanitized();
  return Math.ceil(((constMiB + (asan ? ASAN_EXTRA_MIB : 0)) * MiB + (asan ? ASAN_K : 1) * k * bytesSent) / 1024);
}

function record(row) {
  const file = process.env.HOSTILE_RESULTS;
  if (file) appendFileSync(file, JSON.stringify(row) + "\n");
}

function short(err) {
  return String(err?.message ?? err).split("\n")[0].slice(0, 200);
}

/**
 * Declares one test per sweep point.
 * - name: the class and variant ("1. BINARY_EVENT placeholders, WebSocket");
 * - kind, args: the server ("sio" | "engine") and its command line, or args(point);
 * - points: [{ label, ... }] (x1, x10, x100);
 * - bound: { k, constMiB } (see above);
 * - attack(server, point, t): does the attack and returns { bytesSent, outcome?, after? };
 *   it may throw when the server's answer is wrong: the point fails, but memory, survival and
 *   the normal clients are still measured and reported. after(): called once the measurement is
 *   taken and before the normal clients (e.g. to release a connection held open);
 * - rssCapMiB: the watchdog's kill limit (default 1024).
 */
export function hostileSweep({ name, kind, args = [], points, bound, attack, rssCapMiB = 1024, timeout = 120_000, file }) {
  for (const point of points) {
    test(`${name}: ${point.label}`, { timeout }, async (t) => {
      const started = Date.now();
      const serverArgs = typeof args === "function" ? args(point) : args;
      let server;
      try {
        server = await startServer(kind, serverArgs, { rssCapMiB });
      } catch (err) {
        record({ file: file ?? path.basename(process.argv[1] ?? ""), test: name, point: point.label, build: sanitized() ? "asan" : "release", outcome: `server did not start: ${short(err)}`, failures: [short(err)] });
        throw err;
      }
      const failures = [];
      let bytesSent = 0;
      let outcome = "";
      let baselineKiB = 0;
      let peakKiB = 0;
      let clientOk = false;
      let exit = null;
      try {
        await normalClientsWork(server);
        baselineKiB = server.hwmKiB();

        let after;
        try {
          const r = (await attack(server, point, t)) ?? {};
          bytesSent = r.bytesSent ?? 0;
          outcome = r.outcome ?? "";
          after = r.after;
        } catch (err) {
          bytesSent = err.bytesSent ?? bytesSent;
          failures.push(`attack: ${err.message}`);
          outcome = `attack failed: ${short(err)}`;
        }
        peakKiB = server.hwmKiB();
        if (server.killedForRss) await server.exited;
        try {
          await after?.();
        } catch (err) {
          failures.push(`after the attack: ${err.message}`);
        }

        if (server.alive) {
          try {
            await normalClientsWork(server);
            clientOk = true;
          } catch (err) {
            failures.push(`(c) normal client: ${err.message}`);
          }
          peakKiB = Math.max(peakKiB, server.hwmKiB());
        }
        // A crash during the attack may be noticed only now (the exit event comes after the
        // connection's close): the normal clients above have given it the time to arrive.
        if (!server.alive) {
          await server.exited;
          const info = server.killedForRss
            ? `was killed by the test's watchdog at ${Math.round(server.killedForRss / 1024)} MiB RSS (cap ${rssCapMiB} MiB)`
            : `died (code ${server.exitInfo.code}, signal ${server.exitInfo.signal})`;
          failures.unshift(`(a) the server ${info}\n${server.stderr.slice(0, 4000)}`);
        }

        const growthKiB = peakKiB - baselineKiB;
        const allowedKiB = allowedGrowthKiB(bound, bytesSent);
        if (growthKiB > allowedKiB) {
          failures.push(
            `(b) peak RSS grew by ${(growthKiB / 1024).toFixed(1)} MiB over the baseline ${(baselineKiB / 1024).toFixed(1)} MiB; ` +
              `allowed ${(allowedKiB / 1024).toFixed(1)} MiB (${bound.constMiB} MiB + ${bound.k} x ${bytesSent} bytes sent${sanitized() ? ", ASan-adjusted" : ""})`,
          );
        }
      } finally {
        const wasAlive = server.alive;
        exit = await server.stop();
        if (wasAlive) {
          if (exit.code !== 0 || exit.signal) {
            failures.push(`(a) exit on SIGTERM: code ${exit.code}, signal ${exit.signal}${exit.report ? "" : `\n${exit.stderr.slice(-3000)}`}`);
          }
          if (exit.report) failures.push(`(a) sanitizer report on stderr:\n${exit.report}`);
        }
        const growthKiB = peakKiB - baselineKiB;
        const row = {
          file: file ?? path.basename(process.argv[1] ?? ""),
          test: name,
          point: point.label,
          build: sanitized() ? "asan" : "release",
          bytesSent,
          baselineKiB,
          peakKiB,
          growthKiB,
          allowedKiB: allowedGrowthKiB(bound, bytesSent),
          k: bound.k,
          constMiB: bound.constMiB,
          survived: wasAlive,
          killedForRss: server.killedForRss,
          clientOk,
          cleanExit: wasAlive && exit.code === 0 && !exit.signal && !exit.report,
          outcome,
          failures: failures.map(short),
          ms: Date.now() - started,
        };
        record(row);
        t.diagnostic(
          `bytes sent ${bytesSent}, peak ${(peakKiB / 1024).toFixed(1)} MiB (+${(growthKiB / 1024).toFixed(1)} MiB, allowed +${(row.allowedKiB / 1024).toFixed(1)}), ` +
            `survived ${wasAlive}, client ${clientOk}, clean exit ${row.cleanExit}${outcome ? `, ${outcome}` : ""}`,
        );
      }
      if (failures.length) throw new Error(failures.join("\n"));
    });
  }
}

/** x1, x10, x100 of `base`, labelled with `unit`. */
export function sweep(base, unit) {
  return [1, 10, 100].map((m) => ({ label: `x${m} (${base * m} ${unit})`, n: base * m, m }));
}
