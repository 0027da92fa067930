#pragma once
// JSON text <-> sio::value. The only header of sio that includes RapidJSON.
//
// Reading goes through RapidJSON's SAX Reader straight into sio::value (no DOM in between), with
// UTF-8 validation, a nesting limit, and numbers handed over as text so that integers stay integers
// and doubles are converted by std::from_chars (correctly rounded, locale-independent).
//
// Writing is done here, not by RapidJSON, because the output must be byte-for-byte what
// JavaScript's JSON.stringify produces for the same data (see write() below).

#include <sio/detail/utf8.hpp>
#include <sio/value.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <cstring>
#include <iterator>
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
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return members[a].first < members[b].first; });
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
    /// Kept per thread between parses: a warm parse allocates only what it returns.
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
    bool String(const char* text, rapidjson::SizeType length, bool) {
        return add(value(std::string(text, length)));
    }
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
        for (std::size_t i = 0; i < count; ++i)
            members.emplace_back(std::move(keys_[first_key + i]), std::move(values_[first_value + i]));
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
        if (depth_ == 0) root_ = std::move(v);
        else values_.push_back(std::move(v));
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

// Parses exactly one JSON value (surrounding whitespace allowed, as JSON.parse does) into `out`.
// On failure `out` is left untouched. Duplicate keys keep the first position and the last value.
inline json_error parse(std::string_view text, value& out, std::size_t max_depth = default_max_depth) {
    if (text.size() >= std::numeric_limits<rapidjson::SizeType>::max()) return json_error::too_large;
    // RapidJSON parses fastest in place, writing unescaped strings over its input: it works on
    // a per-thread copy, which ends in the NUL that RapidJSON takes for the end.
    thread_local std::string scratch;
    scratch.assign(text);
    rapidjson::InsituStringStream stream(scratch.data());
    thread_local detail::value_builder::stacks stacks;
    detail::value_builder builder(max_depth, stacks);
    thread_local rapidjson::Reader reader;
    constexpr unsigned flags = rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseInsituFlag;
    // Pure ASCII (most payloads) cannot be invalid UTF-8: RapidJSON's per-character check, a
    // fifth of the parse, is only needed otherwise.
    const rapidjson::ParseResult result =
        sio::detail::is_ascii(text) ? reader.Parse<flags>(stream, builder)
                                    : reader.Parse<flags | rapidjson::kParseValidateEncodingFlag>(stream, builder);
    if (result.IsError()) {
        builder.discard();
        return builder.error() != json_error::none ? builder.error() : detail::from_rapidjson(result.Code());
    }
    // RapidJSON takes a NUL byte for the end of input: anything left after it is garbage.
    if (stream.Tell() != text.size()) return json_error::syntax;
    out = builder.take_root();
    return json_error::none;
}

// ------------------------------------------------------------------------------------------------
// Writing

namespace detail {

// Where the writer puts its text: a per-thread byte buffer whose appends the compiler inlines
// (std::string's are calls into libstdc++, a score of them per small packet), copied to the
// caller's string once at the end. It offers the few std::string members the writer uses.
class text_sink {
public:
    explicit text_sink(std::vector<char>& bytes) : bytes_(bytes) { bytes_.clear(); }
    void push_back(char c) { bytes_.push_back(c); }
    void append(const char* p, std::size_t n) { bytes_.insert(bytes_.end(), p, p + n); }
    void append(const char* s) { append(s, std::strlen(s)); }
    void append(std::string_view s) { append(s.data(), s.size()); }
    void append(std::string_view s, std::size_t pos, std::size_t n) { append(s.data() + pos, n); }
    void append(std::size_t n, char c) { bytes_.insert(bytes_.end(), n, c); }
    void copy_to(std::string& out) const { out.append(bytes_.data(), bytes_.size()); }

private:
    std::vector<char>& bytes_;
};

inline void append_u_escape(text_sink& out, unsigned code_unit) {
    constexpr char hex[] = "0123456789abcdef";  // JSON.stringify uses lowercase
    const char escape[6] = {'\\', 'u', hex[(code_unit >> 12) & 0xF], hex[(code_unit >> 8) & 0xF],
                            hex[(code_unit >> 4) & 0xF], hex[code_unit & 0xF]};
    out.append(escape, sizeof escape);
}

// A JSON string as JSON.stringify writes it: only '"', '\\' and control characters are escaped
// (short forms where JSON has them), '/' and non-ASCII are written as they are. Surrogate code
// points (which valid UTF-8 cannot hold, but WTF-8 can) are written as \udxxx, like JS's lone
// surrogates; other ill-formed UTF-8 becomes U+FFFD so that the output is always valid UTF-8.
// Whether eight bytes are all printable ASCII other than '"' and '\\' (may say false for some that
// are: the caller then looks at them one by one).
inline bool plain_ascii8(const char* p) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
    const std::uint64_t below_space = (w - 0x20 * ones) & ~w & highs;
    return ((w & highs) | below_space | has_zero(w ^ ('"' * ones)) | has_zero(w ^ ('\\' * ones))) == 0;
}

inline void write_string(std::string_view s, text_sink& out) {
    out.push_back('"');
    std::size_t run = 0;  // start of the pending stretch that needs no change
    std::size_t i = 0;
    while (i < s.size()) {
        if (s.size() - i >= 8 && plain_ascii8(s.data() + i)) {
            i += 8;
            continue;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            unsigned surrogate = 0;
            const int length = sio::detail::utf8_sequence(s, i, surrogate);
            if (length > 0 && surrogate == 0) {
                i += static_cast<std::size_t>(length);
                continue;
            }
            out.append(s, run, i - run);
            if (length > 0) append_u_escape(out, surrogate);
            else out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
            i += static_cast<std::size_t>(length > 0 ? length : -length);
            run = i;
            continue;
        }
        out.append(s, run, i - run);
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default: append_u_escape(out, c); break;
        }
        run = ++i;
    }
    out.append(s, run, s.size() - run);
    out.push_back('"');
}

template <class Int, class Out> void write_integer(Int n, Out& out) {
    std::array<char, 24> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), n);
    out.append(buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data()));
}

// A double as JS's Number.prototype.toString (ECMA-262 Number::toString) writes it: the shortest
// digits that round-trip, plain notation for 1e-7 < |x| < 1e21, otherwise d.ddde±n. NaN and the
// infinities are not JSON: JSON.stringify writes null. -0 is written 0.
inline void write_double(double d, text_sink& out) {
    if (!std::isfinite(d)) {
        out.append("null");
        return;
    }
    if (d == 0) {
        out.push_back('0');
        return;
    }
    // Shortest round-trip digits in scientific form, e.g. "-1.2345e+02": take digits and exponent.
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), d, std::chars_format::scientific);
    const std::string_view sci(buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data()));
    const std::size_t e_pos = sci.find('e');
    std::string_view mantissa = sci.substr(0, e_pos);
    if (mantissa.front() == '-') {
        out.push_back('-');
        mantissa.remove_prefix(1);
    }
    std::array<char, 20> digit_buffer{};  // at most 17 significant digits
    std::size_t k = 0;
    for (char c : mantissa)
        if (c != '.') digit_buffer[k++] = c;
    const std::string_view digits(digit_buffer.data(), k);
    int exponent = 0;
    const std::string_view exp_text = sci.substr(e_pos + 1);
    std::from_chars(exp_text.data() + (exp_text.front() == '+' ? 1 : 0), exp_text.data() + exp_text.size(), exponent);
    const int n = exponent + 1;  // value = 0.digits × 10^n
    const int count = static_cast<int>(k);

    if (count <= n && n <= 21) {  // integral: digits then zeros
        out.append(digits);
        out.append(static_cast<std::size_t>(n - count), '0');
    } else if (0 < n && n <= 21) {  // decimal point inside the digits
        out.append(digits.substr(0, static_cast<std::size_t>(n)));
        out.push_back('.');
        out.append(digits.substr(static_cast<std::size_t>(n)));
    } else if (-6 < n && n <= 0) {  // 0.000ddd
        out.append("0.");
        out.append(static_cast<std::size_t>(-n), '0');
        out.append(digits);
    } else {  // exponential
        out.push_back(digits.front());
        if (count > 1) {
            out.push_back('.');
            out.append(digits.substr(1));
        }
        out.push_back('e');
        out.push_back(n - 1 < 0 ? '-' : '+');
        write_integer(n - 1 < 0 ? 1 - n : n - 1, out);
    }
}

// What JSON.stringify does with a Node Buffer (Buffer.prototype.toJSON).
inline void write_buffer_object(const binary& bytes, text_sink& out) {
    out.append(R"({"type":"Buffer","data":[)");
    bool first = true;
    for (std::uint8_t byte : bytes) {
        if (!first) out.push_back(',');
        first = false;
        write_integer(static_cast<unsigned>(byte), out);
    }
    out.append("]}");
}

// Writes `v`; every binary is handed to on_binary(const binary&, text_sink& out), which writes
// whatever stands for it (the encoder writes a placeholder there).
template <class OnBinary> void write_value(const value& v, text_sink& out, OnBinary& on_binary) {
    switch (v.kind()) {
    case value_kind::null: out.append("null"); break;
    case value_kind::boolean: out.append(v.as_bool() ? "true" : "false"); break;
    case value_kind::integer: write_integer(v.as_int64(), out); break;
    case value_kind::unsigned_integer: write_integer(v.as_uint64(), out); break;
    case value_kind::floating: write_double(v.as_double(), out); break;
    case value_kind::string: write_string(v.as_string(), out); break;
    case value_kind::binary: on_binary(v.as_binary(), out); break;
    case value_kind::array: {
        out.push_back('[');
        bool first = true;
        for (const value& element : v.as_array()) {
            if (!first) out.push_back(',');
            first = false;
            write_value(element, out, on_binary);
        }
        out.push_back(']');
        break;
    }
    case value_kind::object: {
        out.push_back('{');
        bool first = true;
        for (const auto& member : v.as_object()) {
            if (!first) out.push_back(',');
            first = false;
            write_string(member.first, out);
            out.push_back(':');
            write_value(member.second, out, on_binary);
        }
        out.push_back('}');
        break;
    }
    }
}

// Appends `v` as JSON to `out` (see write_value for on_binary).
template <class OnBinary> void write_to_string(const value& v, std::string& out, OnBinary& on_binary) {
    thread_local std::vector<char> bytes;
    text_sink sink(bytes);
    write_value(v, sink, on_binary);
    sink.copy_to(out);
    if (bytes.capacity() > 64 * 1024) std::vector<char>{}.swap(bytes);  // do not keep a huge one
}

}  // namespace detail

// Appends `v` as compact JSON, exactly as JavaScript's JSON.stringify would write the same data:
// no whitespace, members in insertion order, integers as integers, doubles as Number#toString
// (1.0 -> 1, 1e21 -> 1e+21, 1e-7 -> 1e-7, NaN/Infinity -> null). A binary is written the way
// JSON.stringify writes a Node Buffer: {"type":"Buffer","data":[1,2,3]}. (The Socket.IO encoder
// does not use this form: it moves binaries out as attachments.)
inline void write(const value& v, std::string& out) {
    auto as_buffer_object = [](const binary& bytes, detail::text_sink& text) { detail::write_buffer_object(bytes, text); };
    detail::write_to_string(v, out, as_buffer_object);
}

inline std::string stringify(const value& v) {
    std::string out;
    write(v, out);
    return out;
}

}  // namespace sio::json
