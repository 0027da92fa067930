// Sec-WebSocket-Accept (transport/websocket_handshake.hpp): SHA-1 from OpenSSL, base64 from sio.
// The expected values are RFC 6455's example and digests computed independently (Python's hashlib).

#include <catch2/catch_test_macros.hpp>

#include <sio/transport/websocket_handshake.hpp>

#include <string>

TEST_CASE("websocket_handshake: accept_key is base64(SHA-1(key + RFC 6455 GUID))", "[websocket][handshake]") {
  using sio::transport::websocket_handshake::accept_key;
  CHECK(accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455 section 1.3
  CHECK(accept_key("x3JJHMbDL1EzLkh9GBhXDw==") == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  CHECK(accept_key("AAAAAAAAAAAAAAAAAAAAAA==") == "ICX+Yqv66kxgM0FcWaLWlFLwTAI=");
}
