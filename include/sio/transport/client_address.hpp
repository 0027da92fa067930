#pragma once
// Who the client is when a proxy stands between it and the server. The TCP peer is believed about
// another address only when it is one of the proxies the user trusts: then the PROXY protocol v2
// header it sends first, or the X-Forwarded-For header of each request, names the client.
// Anyone else's claims are ignored, so that a client cannot pick its own address to dodge a
// per-address limit.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/ip/address.hpp>

namespace sio::transport {

/// An address range, "10.0.0.0/8", "::1" or "192.168.1.7".
struct ip_network {
  asio::ip::address base;
  unsigned prefix = 0;

  /// Throws std::invalid_argument for text that is not an address or range (a configuration error).
  static ip_network parse(std::string_view text) {
    ip_network n;
    std::size_t slash = text.find('/');
    std::error_code ec;
    n.base = asio::ip::make_address(std::string{text.substr(0, slash)}, ec);
    if (ec) throw std::invalid_argument("sio: not an IP address or range: " + std::string{text});
    unsigned bits = n.base.is_v4() ? 32 : 128;
    n.prefix = bits;
    if (slash != std::string_view::npos) {
      std::string_view digits = text.substr(slash + 1);
      unsigned p = 0;
      if (digits.empty() || digits.size() > 3) throw std::invalid_argument("sio: bad prefix in " + std::string{text});
      for (char c : digits) {
        if (c < '0' || c > '9') throw std::invalid_argument("sio: bad prefix in " + std::string{text});
        p = p * 10 + static_cast<unsigned>(c - '0');
      }
      if (p > bits) throw std::invalid_argument("sio: bad prefix in " + std::string{text});
      n.prefix = p;
    }
    return n;
  }

  bool contains(const asio::ip::address& a) const noexcept {
    if (a.is_v6() && a.to_v6().is_v4_mapped() && base.is_v4()) return contains(asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()));
    if (a.is_v4() != base.is_v4()) return false;
    if (a.is_v4()) return match(a.to_v4().to_bytes(), base.to_v4().to_bytes());
    return match(a.to_v6().to_bytes(), base.to_v6().to_bytes());
  }

 private:
  template <class Bytes>
  bool match(const Bytes& a, const Bytes& b) const noexcept {
    unsigned left = prefix;
    for (std::size_t i = 0; i < a.size() && left > 0; ++i) {
      unsigned take = left >= 8 ? 8 : left;
      auto mask = static_cast<std::uint8_t>(0xFF << (8 - take));
      if ((a[i] & mask) != (b[i] & mask)) return false;
      left -= take;
    }
    return true;
  }
};

/// The proxies whose word about the client's address is taken.
struct proxy_trust {
  std::vector<ip_network> trusted;
  /// Trusted peers start every connection with a PROXY protocol v2 header (HAProxy's
  /// `send-proxy-v2`); a trusted peer that does not is disconnected.
  bool proxy_protocol = false;

  bool trusts(const asio::ip::address& a) const noexcept {
    for (const auto& n : trusted)
      if (n.contains(a)) return true;
    return false;
  }

  /// The client named by X-Forwarded-For, read from the right: the nearest address that is not a
  /// trusted proxy. nullopt when the header is absent or names nothing usable.
  std::optional<asio::ip::address> forwarded_for(std::string_view header) const {
    std::optional<asio::ip::address> found;
    while (!header.empty()) {
      std::size_t comma = header.rfind(',');
      std::string_view item = comma == std::string_view::npos ? header : header.substr(comma + 1);
      header = comma == std::string_view::npos ? std::string_view{} : header.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      std::error_code ec;
      auto a = asio::ip::make_address(std::string{item}, ec);
      if (ec) return found;  // garbage: stop at the last address that made sense
      found = a;
      if (!trusts(a)) return found;
    }
    return found;
  }
};

/// A PROXY protocol v2 header (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt, §2.2).
class proxy_header_reader {
 public:
  enum class status { need_more, done, error };
  /// The largest header accepted: the addresses and a few TLVs (HAProxy sends well under this).
  static constexpr std::size_t max_size = 16 + 512;

  /// Looks at the bytes received so far. On `done`, size() bytes belong to the header and
  /// source() is the client (nullopt for a LOCAL command or an unspecified family: the peer then
  /// speaks for itself, as for a health check).
  status parse(std::string_view bytes) {
    static constexpr char signature[12] = {'\r', '\n', '\r', '\n', '\0', '\r', '\n', 'Q', 'U', 'I', 'T', '\n'};
    std::size_t check = bytes.size() < 12 ? bytes.size() : 12;
    if (std::string_view{signature, check} != bytes.substr(0, check)) return status::error;
    if (bytes.size() < 16) return status::need_more;
    auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
    if ((byte(12) >> 4) != 2) return status::error;
    unsigned command = byte(12) & 0x0F;
    if (command > 1) return status::error;
    std::size_t length = (static_cast<std::size_t>(byte(14)) << 8) | byte(15);
    size_ = 16 + length;
    if (size_ > max_size) return status::error;
    if (bytes.size() < size_) return status::need_more;
    source_.reset();
    if (command == 0) return status::done;  // LOCAL
    unsigned family = byte(13) >> 4;
    if (family == 1) {  // AF_INET: source, destination, source port, destination port
      if (length < 12) return status::error;
      asio::ip::address_v4::bytes_type a;
      for (std::size_t i = 0; i < 4; ++i) a[i] = byte(16 + i);
      source_ = asio::ip::address_v4{a};
    } else if (family == 2) {  // AF_INET6
      if (length < 36) return status::error;
      asio::ip::address_v6::bytes_type a;
      for (std::size_t i = 0; i < 16; ++i) a[i] = byte(16 + i);
      source_ = asio::ip::address_v6{a};
    }  // AF_UNSPEC or AF_UNIX: no address to take
    return status::done;
  }

  std::size_t size() const noexcept { return size_; }
  const std::optional<asio::ip::address>& source() const noexcept { return source_; }

 private:
  std::size_t size_ = 0;
  std::optional<asio::ip::address> source_;
};

}  // namespace sio::transport
