"""Harness of the python-socketio / python-engineio interop tests (tests/interop/python).

It starts the fixtures of tests/README.md the way tests/lib/server.mjs does, and holds them to
the same rule: a server stopped with SIGTERM must exit with status 0 and print no sanitizer
report on stderr.

SIO_IMPL=sio (default): ${SIO_BUILD_DIR:-../build}/examples/{sio_fixture,engine_echo}/...
SIO_IMPL=ref          : node fixtures/{sio_fixture_ref,engine_echo_ref}.mjs (npm socket.io 4.8)
SIO_THREADS=N         : sio's fixtures run their io_context on N threads.

Run with Debian's interpreter, which has python3-socketio 5.7.2 and python3-engineio 4.3.4:
    cd tests && /usr/bin/python3 -m unittest discover -s interop/python -v
"""

import ctypes
import faulthandler
import functools
import os
import re
import select
import signal
import subprocess
import threading
import time
import unittest

import engineio
import socketio
from engineio import packet as eio_packet

TESTS_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMPL = os.environ.get("SIO_IMPL", "sio")
if IMPL not in ("sio", "ref"):
    raise RuntimeError('SIO_IMPL must be "sio" or "ref", got "%s"' % IMPL)

START_TIMEOUT_S = 10
STOP_TIMEOUT_S = 10  # the fixtures give up themselves 5 s after close(); LeakSanitizer comes on top
WAIT_S = 5  # the bound of every wait for something the server sends
TEST_TIMEOUT_S = 30  # the bound of one test, its cleanup included

# The same patterns as tests/lib/server.mjs (StderrLog).
SANITIZER_LINE = re.compile(
    r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|ThreadSanitizer|: runtime error: ")
SANITIZER_REPORT_START = re.compile(
    r"(?:ERROR|WARNING): (?:Address|Leak|UndefinedBehavior|Thread)Sanitizer|Sanitizer:DEADLYSIGNAL|: runtime error: ")

# The three transport modes of the clients: the `transports` argument of connect().
MODES = {
    "polling": ["polling"],
    "websocket": ["websocket"],
    "upgrade": None,  # the clients' default: polling first, then an upgrade to WebSocket
}


def _die_with_parent():
    """In the child before exec: SIGKILL when the test process dies (a test that hit its bound
    exits through faulthandler and cannot stop its servers)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class StderrLog:
    """A server's stderr with the sanitizer reports in it (lines are judged whole)."""

    def __init__(self):
        self.lines = []
        self.report_starts = []  # indexes in `lines`
        self._in_report = False
        self._lock = threading.Lock()

    def add(self, line):
        with self._lock:
            if SANITIZER_REPORT_START.search(line) or (SANITIZER_LINE.search(line) and not self._in_report):
                self.report_starts.append(len(self.lines))
            if SANITIZER_LINE.search(line):
                self._in_report = True
            self.lines.append(line)

    @property
    def reports(self):
        with self._lock:
            return len(self.report_starts)

    def report(self, i):
        with self._lock:
            if i >= len(self.report_starts):
                return None
            start = self.report_starts[i]
            return "".join(line[:300] for line in self.lines[start:start + 120])

    def tail(self, n=40):
        with self._lock:
            return "".join(self.lines[-n:])


class Server:
    """A fixture process: `kind` is "sio" (the Socket.IO fixture) or "engine" (the engine echo
    server). `args` is the fixture command line; `--port 0 --host 127.0.0.1` are added."""

    def __init__(self, kind, args=(), impl=IMPL):
        self.kind = kind
        self.impl = impl
        self.args = ["--port", "0", "--host", "127.0.0.1", *args]
        threads = os.environ.get("SIO_THREADS")
        if impl == "sio" and threads and "--threads" not in self.args:
            self.args += ["--threads", threads]
        self.stderr = StderrLog()
        self.proc = None
        self.port = None

    @property
    def label(self):
        return "%s %s" % (self.impl, "Socket.IO fixture" if self.kind == "sio" else "engine echo server")

    def command(self):
        if self.impl == "ref":
            script = "sio_fixture_ref.mjs" if self.kind == "sio" else "engine_echo_ref.mjs"
            return ["node", os.path.join(TESTS_DIR, "fixtures", script)]
        build = os.path.abspath(os.path.join(TESTS_DIR, os.environ.get("SIO_BUILD_DIR", "../build")))
        if self.kind == "sio":
            binary = os.path.join(build, "examples", "sio_fixture", "sio_fixture")
        else:
            binary = os.path.join(build, "examples", "engine_echo", "sio_engine_echo")
        if not os.path.exists(binary):
            raise RuntimeError("%s not found (build it, set SIO_BUILD_DIR, or run with SIO_IMPL=ref)" % binary)
        return [binary]

    def start(self):
        self.proc = subprocess.Popen(self.command() + self.args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     preexec_fn=_die_with_parent)
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        out = b""
        while True:
            left = deadline - time.monotonic()
            ready = select.select([self.proc.stdout], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError('%s did not print "listening <port>" within %d s\nstdout: %r\nstderr: %s'
                                   % (self.label, START_TIMEOUT_S, out, self.stderr.tail()))
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                self.proc.wait()
                self._stderr_reader.join(1)
                raise RuntimeError("%s exited before listening (status %s)\nstdout: %r\nstderr: %s"
                                   % (self.label, self.proc.returncode, out, self.stderr.tail()))
            out += chunk
            m = re.search(rb"^listening (\d+)\r?$", out, re.M)
            if m:
                self.port = int(m.group(1))
                self.url = "http://127.0.0.1:%d" % self.port
                return self

    def _read_stderr(self):
        for line in iter(self.proc.stderr.readline, b""):
            self.stderr.add(line.decode("utf-8", "replace"))

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, then require status 0 within STOP_TIMEOUT_S and no sanitizer report."""
        if not self.alive:
            raise AssertionError("%s died during the tests (status %s)\nstderr: %s"
                                 % (self.label, self.proc.returncode, self.stderr.report(0) or self.stderr.tail()))
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self._stderr_reader.join(1)
            raise AssertionError("%s did not exit within %d s of SIGTERM (killed)\nstderr: %s"
                                 % (self.label, STOP_TIMEOUT_S, self.stderr.tail()))
        self._stderr_reader.join(STOP_TIMEOUT_S)  # stderr read to its end
        problems = []
        if self.proc.returncode != 0:
            problems.append("exit status %s" % self.proc.returncode)
        if self.stderr.reports:
            problems.append("%d sanitizer report(s) on stderr, the first:\n%s"
                            % (self.stderr.reports, self.stderr.report(0)))
        if problems:
            raise AssertionError("%s did not shut down cleanly after SIGTERM: %s\nstderr (end): %s"
                                 % (self.label, "; ".join(problems), self.stderr.tail()))


def ref_deviation(reason):
    """Marks a test where the reference server differs from PROTOCOL.md and the test asserts
    PROTOCOL.md: an expected failure under SIO_IMPL=ref only (like sioRefDeviations in
    tests/lib/sio.mjs); `reason` says what the reference does. The mark goes on a wrapper, so
    that a test shared by several classes is marked in one of them only."""
    def mark(test):
        if IMPL != "ref":
            return test

        @functools.wraps(test)
        def deviating(self):
            return test(self)

        deviating.ref_deviation = reason
        return unittest.expectedFailure(deviating)

    return mark


def wait_until(predicate, what, timeout=WAIT_S):
    """Waits (bounded) for a state that a client thread reaches on its own, such as the end of
    a connection (the clients have no event for it); returns the predicate's value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))
        time.sleep(0.01)


class EventLog:
    """Every event a client received, in the order its handlers ran. python-engineio 4.3.4 runs
    each message's handler on a thread of its own, so that order is not the wire order: tests
    wait for what they expect and never prove an absence by a marker sent after it."""

    def __init__(self):
        self.entries = []  # (event, args)
        self._cond = threading.Condition()

    def add(self, event, *args):
        with self._cond:
            self.entries.append((event, args))
            self._cond.notify_all()

    def of(self, event):
        with self._cond:
            return [args for name, args in self.entries if name == event]

    def nth(self, event, n, timeout=WAIT_S):
        """The arguments of the n-th (1-based) `event`, waiting for it."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.of_locked(event)) >= n, timeout):
                raise AssertionError("timed out after %s s waiting for %s #%d; received %r"
                                     % (timeout, event, n, self.entries))
            return self.of_locked(event)[n - 1]

    def first(self, event, timeout=WAIT_S):
        return self.nth(event, 1, timeout)

    def until(self, predicate, what, timeout=WAIT_S):
        """Waits for predicate(entries) to return something true, and returns it."""
        with self._cond:
            value = None

            def check():
                nonlocal value
                value = predicate(self.entries)
                return value

            if not self._cond.wait_for(check, timeout):
                raise AssertionError("timed out after %s s waiting for %s; received %r" % (timeout, what, self.entries))
            return value

    def of_locked(self, event):
        return [args for name, args in self.entries if name == event]


class SioClient(socketio.Client):
    """socketio.Client whose events, in each namespace it connects, land in `log[namespace]`."""

    def __init__(self, namespaces, **options):
        options.setdefault("reconnection", False)
        super().__init__(handle_sigint=False, **options)
        self.log = {}
        self.dropped_websockets = []
        for nsp in namespaces:
            log = self.log[nsp] = EventLog()
            self.on("*", lambda event, *args, log=log: log.add(event, *args), namespace=nsp)
            self.on("connect", lambda log=log, nsp=nsp: log.add("connect", self.get_sid(nsp)), namespace=nsp)
            self.on("disconnect", lambda log=log: log.add("disconnect"), namespace=nsp)
            self.on("connect_error", lambda *data, log=log: log.add("connect_error", *data), namespace=nsp)

    def _handle_eio_disconnect(self):
        # python-engineio 4.3.4 never closes a WebSocket that the server closed (its read loop
        # just ends): keep it, so that close() can, or the reference server (ws waits 30 s for
        # the client's FIN) could not exit in time.
        if self.eio.ws is not None:
            self.dropped_websockets.append(self.eio.ws)
        super()._handle_eio_disconnect()

    def ack(self, event, *args, namespace="/", timeout=WAIT_S):
        """Emits `event` with `args` and returns all the arguments of the server's ack."""
        got = threading.Event()
        reply = []

        def on_ack(*ack_args):
            reply.extend(ack_args)
            got.set()

        self.emit(event, args, namespace=namespace, callback=on_ack)
        if not got.wait(timeout):
            raise AssertionError("no ack for %s %r within %s s" % (event, args, timeout))
        return reply

    def close(self):
        """Disconnects and waits for the client's threads, reconnection included, to end."""
        self.reconnection = False
        if self._reconnect_abort is not None:
            self._reconnect_abort.set()
        if self._reconnect_task is not None:
            self._reconnect_task.join(WAIT_S)
        self.disconnect()
        for task in (self.eio.read_loop_task, self.eio.write_loop_task):
            if task is not None:
                task.join(WAIT_S)
        for ws in self.dropped_websockets:
            ws.shutdown()
        if self.eio.http is not None:
            self.eio.http.close()  # the polling requests' session, which the client keeps open


class EioClient(engineio.Client):
    """engineio.Client whose messages, disconnection and the server's pings land in `log`:
    ("message", data), ("disconnect",), ("ping",)."""

    def __init__(self, **options):
        super().__init__(handle_sigint=False, **options)
        self.log = EventLog()
        self.on("message", lambda data: self.log.add("message", data))
        self.on("disconnect", lambda: self.log.add("disconnect"))

    def _receive_packet(self, pkt):
        if pkt.packet_type == eio_packet.PING:
            self.log.add("ping")
        super()._receive_packet(pkt)

    def close(self):
        self.disconnect()
        for task in (self.read_loop_task, self.write_loop_task):
            if task is not None:
                task.join(WAIT_S)
        if self.ws is not None:
            self.ws.shutdown()  # see SioClient._handle_eio_disconnect
        if self.http is not None:
            self.http.close()


class FixtureTestCase(unittest.TestCase):
    """One fixture per test class, started by setUpClass with KIND and ARGS and stopped by
    tearDownClass, which requires the clean exit (a failure there fails the run). A test during
    which the server died or printed a sanitizer report fails; the next test gets a new server.
    Each test is bounded by TEST_TIMEOUT_S: past it, the tracebacks are printed and the process
    exits with status 1."""

    KIND = "sio"
    ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.KIND, cls.ARGS).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        faulthandler.dump_traceback_later(TEST_TIMEOUT_S, exit=True)
        self.addCleanup(faulthandler.cancel_dump_traceback_later)
        if not type(self).server.alive:
            type(self).server = Server(self.KIND, self.ARGS).start()
        self.reports_before = self.server.stderr.reports
        self.addCleanup(self.check_server)  # cleanups run last-in first-out: after the clients' close

    def check_server(self):
        server = self.server
        if not server.alive:
            self.fail("%s died during this test (status %s)\nstderr: %s"
                      % (server.label, server.proc.returncode, server.stderr.report(0) or server.stderr.tail()))
        if server.stderr.reports > self.reports_before:
            self.fail("%s printed a sanitizer report during this test:\n%s"
                      % (server.label, server.stderr.report(self.reports_before)))

    def sio_client(self, mode, namespaces=("/",), auth=None, headers=None, wait=True, **options):
        """A connected python-socketio client (closed after the test)."""
        client = SioClient(namespaces, **options)
        self.addCleanup(client.close)
        client.connect(self.server.url, headers=headers or {}, auth=auth, transports=MODES[mode], namespaces=list(namespaces),
                       wait=wait, wait_timeout=WAIT_S)
        if wait and mode == "upgrade":
            self.assertEqual(client.transport(), "websocket", "the client upgraded to WebSocket")
        return client

    def eio_client(self, mode):
        """A connected python-engineio client (closed after the test)."""
        client = EioClient()
        self.addCleanup(client.close)
        client.connect(self.server.url, transports=MODES[mode])
        if mode == "upgrade":
            self.assertEqual(client.transport(), "websocket", "the client upgraded to WebSocket")
        return client
