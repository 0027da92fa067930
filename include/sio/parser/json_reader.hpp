#pragma once
// sio::json::reader: JSON text -> sio::value. The only header of sio that includes RapidJSON.
//
// Reading goes through RapidJSON's SAX Reader straight into sio::value (no DOM in between), with
// UTF-8 validation, a nesting limit, and numbers handed over as text so that integers stay integers
// and doubles are converted by std::from_chars (correctly rounded, locale-independent).
// json::parse() is the usual entry point; it uses one reader per thread.
//
// Writing is json_writer.hpp's.

#include "sio/detail/utf8.hpp"
#include "sio/value.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#ifndef RAPIDJSON_HAS_STDSTRING
#define RAPIDJSON_HAS_STDSTRING 1
#endif

// RapidJSON 1.1.0 trips newer compilers' warnings (std::iterator deprecation under g++ 12, reversed
// operator== candidates under clang in C++20). They are RapidJSON's, not ours: keep them out.
#include "sio/detail/dependency_warnings_push.hpp"
#include <rapidjson/stream.h>
#include <rapidjson/reader.h>
#include "sio/detail/dependency_warnings_pop.hpp"

namespace sio::json {

enum class json_error {
  none,
  syntax,               // not JSON, or something after the value (whitespace aside)
  too_deep,             // more nested arrays/objects than allowed
  number_out_of_range,  // a number literal beyond double's range (JS would make it Infinity or 0)
  invalid_unicode,      // invalid UTF-8, or a \u escape naming a lone surrogate
  too_large,            // input longer than RapidJSON can index (4 GiB)
};

inline std::string_view to_string(json_error e) noexcept {
  switch (e) {
    case json_error::none: return "no error";
    case json_error::syntax: return "invalid JSON";
    case json_error::too_deep: return "JSON nested too deeply";
    case json_error::number_out_of_range: return "JSON number out of range";
    case json_error::invalid_unicode: return "invalid UTF-8 or lone surrogate in JSON";
    case json_error::too_large: return "JSON text too large";
  }
  return "unknown JSON error";
}

// Nesting limit for parse(): [[1]] has depth 2. Socket.IO payloads are shallow; this bounds the
// recursion (RapidJSON's and ours) that a hostile peer could otherwise drive.
inline constexpr std::size_t default_max_depth = 64;

namespace detail {

// Turns a JSON number token (already validated by RapidJSON) into an integer when it is one and
// fits 64 bits, otherwise into a double. Returns false when it is beyond double's range.
inline bool parse_number(std::string_view token, value& out) {
  const char* first = token.data();
  const char* last = first + token.size();
  if (token.find_first_of(".eE") == std::string_view::npos) {
    if (token.front() == '-') {
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(first, last, n);
      if (ec == std::errc{} && end == last) {
        out = n;
        return true;
      }
    } else {
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(first, last, n);
      if (ec == std::errc{} && end == last) {
        out = n;
        return true;
      }
    }
    // Too big for 64 bits: a double, as in JS.
  }
  double d = 0;
  auto [end, ec] = std::from_chars(first, last, d);
  if (ec != std::errc{} || end != last) return false;
  out = d;
  return true;
}

// JSON.parse keeps the position of a key's first occurrence and the value of its last one.
// Called once per finished object; quadratic only for small objects.
inline void merge_duplicate_keys(sio::object& members) {
  const std::size_t n = members.size();
  if (n < 2) return;
  constexpr std::size_t small = 16;
  if (n <= small) {
    bool any = false;
    for (std::size_t i = 1; i < n && !any; ++i)
      for (std::size_t j = 0; j < i && !any; ++j) any = members[i].first == members[j].first;
    if (!any) return;
  }
  // Sort member indices by key (stable: equal keys stay in input order), then fold each run.
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return members[a].first < members[b].first; });
  std::vector<bool> dropped(n, false);
  for (std::size_t run = 0; run < n;) {
    std::size_t end = run + 1;
    while (end < n && members[order[end]].first == members[order[run]].first) ++end;
    if (end - run > 1) {
      members[order[run]].second = std::move(members[order[end - 1]].second);
      for (std::size_t k = run + 1; k < end; ++k) dropped[order[k]] = true;
    }
    run = end;
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (!dropped[i]) {
      if (kept != i) members[kept] = std::move(members[i]);
      ++kept;
    }
  members.resize(kept);
}

// SAX handler that assembles an sio::value. Finished values wait on one flat stack (object keys
// on a parallel one) until their container ends; RapidJSON then says how many there are, so each
// array or object is allocated once, at its final size.
class value_builder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, value_builder> {
 public:
  /// Kept by the reader between parses: a warm parse allocates only what it returns.
  struct stacks {
    std::vector<value> values;
    std::vector<std::string> keys;
  };
  value_builder(std::size_t max_depth, stacks& s) : max_depth_(max_depth), values_(s.values), keys_(s.keys) {
    values_.clear();
    keys_.clear();
  }

  bool Null() { return add(value{}); }
  bool Bool(bool b) { return add(value(b)); }
  bool RawNumber(const char* text, rapidjson::SizeType length, bool) {
    // Most numbers are short integers: up to 18 digits cannot overflow 64 bits.
    if (length <= 18) {
      const char* p = text;
      const char* const end = text + length;
      const bool negative = *p == '-';
      if (negative) ++p;
      std::uint64_t n = 0;
      for (; p != end; ++p) {
        const unsigned digit = static_cast<unsigned>(*p - '0');
        if (digit > 9) break;
        n = n * 10 + digit;
      }
      if (p == end) return negative ? add(value(-static_cast<std::int64_t>(n))) : add(value(n));
    }
    value number;
    if (!parse_number(std::string_view(text, length), number)) return fail(json_error::number_out_of_range);
    return add(std::move(number));
  }
  bool String(const char* text, rapidjson::SizeType length, bool) { return add(value(std::string(text, length))); }
  bool StartObject() { return enter(); }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    keys_.emplace_back(text, length);
    return true;
  }
  bool EndObject(rapidjson::SizeType count) {
    sio::object members;
    members.reserve(count);
    const std::size_t first_value = values_.size() - count;
    const std::size_t first_key = keys_.size() - count;
    for (std::size_t i = 0; i < count; ++i) members.emplace_back(std::move(keys_[first_key + i]), std::move(values_[first_value + i]));
    keys_.resize(first_key);
    values_.resize(first_value);
    merge_duplicate_keys(members);
    --depth_;
    return add(value(std::move(members)));
  }
  bool StartArray() { return enter(); }
  bool EndArray(rapidjson::SizeType count) {
    const auto first = values_.end() - static_cast<std::ptrdiff_t>(count);
    sio::array elements(std::make_move_iterator(first), std::make_move_iterator(values_.end()));
    values_.erase(first, values_.end());
    --depth_;
    return add(value(std::move(elements)));
  }

  json_error error() const noexcept { return error_; }
  value take_root() { return std::move(root_); }
  /// Drops a half-built value rather than keeping it until the next parse.
  void discard() {
    values_.clear();
    keys_.clear();
  }

 private:
  bool fail(json_error e) {
    error_ = e;
    return false;  // makes RapidJSON stop with kParseErrorTermination
  }
  bool enter() {
    if (depth_ >= max_depth_) return fail(json_error::too_deep);
    ++depth_;
    return true;
  }
  bool add(value v) {
    if (depth_ == 0)
      root_ = std::move(v);
    else
      values_.push_back(std::move(v));
    return true;
  }

  std::size_t max_depth_;
  std::size_t depth_ = 0;
  std::vector<value>& values_;
  std::vector<std::string>& keys_;
  value root_;
  json_error error_ = json_error::none;
};

inline json_error from_rapidjson(rapidjson::ParseErrorCode code) noexcept {
  switch (code) {
    case rapidjson::kParseErrorNumberTooBig: return json_error::number_out_of_range;
    case rapidjson::kParseErrorStringInvalidEncoding:
    case rapidjson::kParseErrorStringUnicodeSurrogateInvalid: return json_error::invalid_unicode;
    default: return json_error::syntax;
  }
}

}  // namespace detail

// Reads JSON text into sio::value. It keeps its buffers between reads, so that a warm read
// allocates only what it returns: keep one per thread (parse() does), not one per message.
// Thread safety: one reader per thread.
class reader {
 public:
  // Parses exactly one JSON value (surrounding whitespace allowed, as JSON.parse does) into
  // `out`. On failure `out` is left untouched. Duplicate keys keep the first position and the
  // last value.
  json_error read(std::string_view text, value& out, std::size_t max_depth = default_max_depth) {
    if (text.size() >= std::numeric_limits<rapidjson::SizeType>::max()) return json_error::too_large;
    // RapidJSON parses fastest in place, writing unescaped strings over its input: it works on
    // a copy, which ends in the NUL that RapidJSON takes for the end.
    scratch_.assign(text);
    rapidjson::InsituStringStream stream(scratch_.data());
    detail::value_builder builder(max_depth, stacks_);
    constexpr unsigned flags = rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseInsituFlag;
    // Pure ASCII (most payloads) cannot be invalid UTF-8: RapidJSON's per-character check, a
    // fifth of the parse, is only needed otherwise.
    const rapidjson::ParseResult result = sio::detail::is_ascii(text)
                                              ? reader_.Parse<flags>(stream, builder)
                                              : reader_.Parse<flags | rapidjson::kParseValidateEncodingFlag>(stream, builder);
    if (result.IsError()) {
      builder.discard();
      return builder.error() != json_error::none ? builder.error() : detail::from_rapidjson(result.Code());
    }
    // RapidJSON takes a NUL byte for the end of input: anything left after it is garbage.
    if (stream.Tell() != text.size()) return json_error::syntax;
    out = builder.take_root();
    return json_error::none;
  }

 private:
  std::string scratch_;
  detail::value_builder::stacks stacks_;
  rapidjson::Reader reader_;
};

// reader::read with this thread's reader.
inline json_error parse(std::string_view text, value& out, std::size_t max_depth = default_max_depth) {
  thread_local reader per_thread;
  return per_thread.read(text, out, max_depth);
}

}  // namespace sio::json
