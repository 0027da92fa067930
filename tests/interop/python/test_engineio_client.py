"""python-engineio 4.3.4 (Debian 12's python3-engineio) against the engine echo server
(tests/README.md, "The engine echo server contract"), in each transport mode: polling only,
WebSocket only, and polling then upgrade.

Each message's handler runs on a thread of its own in this client, so echoes are compared as a
collection, not in order.
"""

import os
import unittest
from collections import Counter

from harness import FixtureTestCase

# Pings every 300 ms, so that the heartbeat test sees several; the lenient timeout keeps a busy
# machine from closing sessions while the other tests run.
HEARTBEAT_ARGS = ("--ping-interval", "300", "--ping-timeout", "2000")


class Cases:
    MODE = None
    KIND = "engine"
    ARGS = HEARTBEAT_ARGS

    def echoes(self, client, n):
        entries = client.log.until(lambda e: [a[0] for name, a in e if name == "message"][:n] if
                                   sum(name == "message" for name, _ in e) >= n else None, "%d echoes" % n)
        return Counter(entries)

    def test_echo_text_and_binary(self):
        c = self.eio_client(self.MODE)
        # This client POSTs a str body, which requests encodes as Latin-1: on polling it cannot
        # send other characters (python-socketio escapes them in its JSON, so it is not affected).
        text = "text, ascii only" if self.MODE == "polling" else "text ✓ ünïcode"
        messages = [text, b"\x00\x01\xfe\xff", "t" * 100_000, os.urandom(100_000), bytes(range(256))]
        for m in messages:
            c.send(m)
        self.assertEqual(self.echoes(c, len(messages)), Counter(messages))
        for m in c.log.of("message"):
            self.assertIn(type(m[0]), (str, bytes))

    def test_burst_of_server_messages(self):
        c = self.eio_client(self.MODE)
        # At most 16: python-engineio refuses a polling payload of more packets (max_decode_packets)
        # and drops the session.
        c.send("burst:16")
        self.assertEqual(self.echoes(c, 16), Counter("burst-%d" % i for i in range(16)))

    def test_heartbeat_keeps_the_session(self):
        c = self.eio_client(self.MODE)
        sid = c.sid
        c.log.nth("ping", 4)  # the client answered three pings in time, or the session would be gone
        c.send("still here")
        self.assertEqual(self.echoes(c, 1), Counter(["still here"]))
        self.assertEqual(c.sid, sid)
        self.assertEqual(c.log.of("disconnect"), [])

    def test_server_close(self):
        c = self.eio_client(self.MODE)
        c.send("server-close")
        c.log.first("disconnect")
        self.assertEqual(c.log.of("message"), [], "the command is not echoed")


class PollingTest(Cases, FixtureTestCase):
    MODE = "polling"


class WebSocketTest(Cases, FixtureTestCase):
    MODE = "websocket"


class UpgradeTest(Cases, FixtureTestCase):
    MODE = "upgrade"


if __name__ == "__main__":
    unittest.main()
