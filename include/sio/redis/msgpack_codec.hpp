#pragma once
// sio::value <-> MessagePack, written the way notepack.io 3.0.1 (the Node Redis adapter's default
// parser) writes JavaScript values (docs/redis-wire.md §5): strings as str, binaries as bin,
// integers in their smallest form (non-negative ones in the uint family), doubles through
// msgpack-cxx's pack_double (an integral double becomes an integer, as a JS number would), never
// float32. Map keys in insertion order (decoders ignore the order).
//
// Decoding is bounded (sizes, nesting) and never throws: a malformed payload gives std::nullopt.
// Extension types (notepack's Date, msgpack timestamps) have no sio::value kind and become null.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "sio/parser/json_reader.hpp"
#include "sio/value.hpp"

namespace sio::redis::msgpack_codec {

namespace detail {

template <class Packer>
void pack_value(Packer& pk, const value& v) {
  switch (v.kind()) {
    case value_kind::null: pk.pack_nil(); break;
    case value_kind::boolean: v.as_bool() ? pk.pack_true() : pk.pack_false(); break;
    case value_kind::integer: pk.pack_int64(v.as_int64()); break;
    case value_kind::unsigned_integer: pk.pack_uint64(v.as_uint64()); break;
    case value_kind::floating: pk.pack_double(v.as_double()); break;
    case value_kind::string: {
      const auto& s = v.as_string();
      pk.pack_str(static_cast<std::uint32_t>(s.size()));
      pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
      break;
    }
    case value_kind::binary: {
      const auto& b = v.as_binary();
      pk.pack_bin(static_cast<std::uint32_t>(b.size()));
      pk.pack_bin_body(reinterpret_cast<const char*>(b.data()), static_cast<std::uint32_t>(b.size()));
      break;
    }
    case value_kind::array:
      pk.pack_array(static_cast<std::uint32_t>(v.as_array().size()));
      for (const auto& e : v.as_array()) pack_value(pk, e);
      break;
    case value_kind::object:
      pk.pack_map(static_cast<std::uint32_t>(v.as_object().size()));
      for (const auto& [key, member] : v.as_object()) {
        pk.pack_str(static_cast<std::uint32_t>(key.size()));
        pk.pack_str_body(key.data(), static_cast<std::uint32_t>(key.size()));
        pack_value(pk, member);
      }
      break;
  }
}

inline value from_object(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return nullptr;
    case msgpack::type::BOOLEAN: return o.via.boolean;
    case msgpack::type::POSITIVE_INTEGER: return o.via.u64;
    case msgpack::type::NEGATIVE_INTEGER: return o.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return o.via.f64;
    case msgpack::type::STR: return std::string(o.via.str.ptr, o.via.str.size);
    case msgpack::type::BIN: return binary(o.via.bin.ptr, o.via.bin.size);
    case msgpack::type::ARRAY: {
      sio::array out;
      out.reserve(o.via.array.size);
      for (std::uint32_t i = 0; i < o.via.array.size; ++i) out.push_back(from_object(o.via.array.ptr[i]));
      return out;
    }
    case msgpack::type::MAP: {
      sio::object out;
      out.reserve(o.via.map.size);
      for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        std::string key;
        if (kv.key.type == msgpack::type::STR) {
          key.assign(kv.key.via.str.ptr, kv.key.via.str.size);
        } else if (kv.key.type == msgpack::type::POSITIVE_INTEGER) {
          key = std::to_string(kv.key.via.u64);  // a JS object's keys are strings
        } else if (kv.key.type == msgpack::type::NEGATIVE_INTEGER) {
          key = std::to_string(kv.key.via.i64);
        } else {
          continue;
        }
        out.emplace_back(std::move(key), from_object(kv.val));
      }
      sio::json::detail::merge_duplicate_keys(out);  // the last one wins, as in a JS object
      return out;
    }
    case msgpack::type::EXT: return nullptr;
  }
  return nullptr;
}

}  // namespace detail

/// Appends the MessagePack form of `v` to `out`.
inline void encode(const value& v, std::string& out) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  detail::pack_value(pk, v);
  out.append(buffer.data(), buffer.size());
}

inline std::string encode(const value& v) {
  std::string out;
  encode(v, out);
  return out;
}

/// The one value `bytes` holds (trailing bytes are an error, as in notepack), or nothing.
inline std::optional<value> decode(std::string_view bytes, std::size_t max_elements = 1u << 20, std::size_t max_depth = 64) {
  try {
    std::size_t offset = 0;
    msgpack::unpack_limit limit(max_elements, max_elements, bytes.size(), bytes.size(), bytes.size(), max_depth);
    msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, limit);
    if (offset != bytes.size()) return std::nullopt;
    return detail::from_object(handle.get());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace sio::redis::msgpack_codec
