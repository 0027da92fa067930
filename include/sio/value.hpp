#pragma once
// sio::value: the data model of Socket.IO payloads — JSON plus binary buffers.
//
// JavaScript event arguments are JSON values in which Buffers/ArrayBuffers may appear at any depth,
// so binary is a kind of its own here rather than something encoded into strings. Objects keep their
// members in insertion order (a vector of key/value pairs) because what we send must come out in the
// order it was built, exactly like JSON.stringify. This header does not depend on any JSON library.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace sio {

// Raw bytes: what a JS Buffer / ArrayBuffer / Blob becomes on this side.
//
// Copies share the bytes (copy on write): a packet whose placeholders name one attachment a
// thousand times holds it once, and the same bytes go out as every attachment frame that
// carries them. Mutable access (data(), begin()) first takes a private copy if they are shared.
// Thread safety: like std::string; copies may be used from different threads.
class binary {
public:
    using value_type = std::uint8_t;
    using iterator = std::uint8_t*;
    using const_iterator = const std::uint8_t*;

    binary() = default;
    binary(const std::vector<std::uint8_t>& bytes) : binary(bytes.data(), bytes.size()) {}
    binary(std::initializer_list<std::uint8_t> bytes) : binary(bytes.begin(), bytes.size()) {}
    binary(const void* data, std::size_t size)
        : bytes_(size ? std::make_shared<std::string>(static_cast<const char*>(data), size) : nullptr) {}
    // Text is not binary by default: converting a string to bytes must be asked for.
    explicit binary(std::string_view bytes) : binary(bytes.data(), bytes.size()) {}
    explicit binary(const std::vector<std::byte>& bytes) : binary(bytes.data(), bytes.size()) {}
    // Takes the string's buffer, without copying (a received WebSocket frame, for example).
    static binary adopt(std::string&& bytes) {
        binary b;
        if (!bytes.empty()) b.bytes_ = std::make_shared<std::string>(std::move(bytes));
        return b;
    }

    const std::uint8_t* data() const noexcept { return bytes_ ? reinterpret_cast<const std::uint8_t*>(bytes_->data()) : nullptr; }
    std::uint8_t* data() { return bytes_ ? reinterpret_cast<std::uint8_t*>(own().data()) : nullptr; }
    std::size_t size() const noexcept { return bytes_ ? bytes_->size() : 0; }
    bool empty() const noexcept { return size() == 0; }
    const_iterator begin() const noexcept { return data(); }
    const_iterator end() const noexcept { return data() + size(); }
    iterator begin() { return data(); }
    iterator end() { return data() + size(); }

    // A copy of the bytes as a vector.
    std::vector<std::uint8_t> bytes() const { return {begin(), end()}; }

    // The bytes seen as chars, e.g. to hand them to a transport's send(const char*, size).
    std::string_view view() const noexcept { return bytes_ ? std::string_view{*bytes_} : std::string_view{}; }
    // The shared buffer itself (null when empty): a transport can send it without a copy.
    std::shared_ptr<const std::string> shared() const noexcept { return bytes_; }

    friend bool operator==(const binary& a, const binary& b) noexcept { return a.view() == b.view(); }
    friend bool operator!=(const binary& a, const binary& b) noexcept { return !(a == b); }

private:
    // The bytes for writing: a private copy first if anyone else holds them.
    std::string& own() {
        if (bytes_.use_count() > 1) bytes_ = std::make_shared<std::string>(*bytes_);
        return *bytes_;
    }

    std::shared_ptr<std::string> bytes_;
};

class value;
using array = std::vector<value>;
// Members in insertion order. Keys are unique when built through value's own member functions.
using object = std::vector<std::pair<std::string, value>>;

// `unsigned_integer` only ever holds values above INT64_MAX: every integer that fits in int64 is
// stored as `integer`, so there is one representation per number and no signedness to guess.
enum class value_kind { null, boolean, integer, unsigned_integer, floating, string, binary, array, object };

class value {
public:
    value() noexcept = default;
    value(std::nullptr_t) noexcept {}

    // Templates so that pointers and other scalars do not silently become bools or numbers.
    template <class T, std::enable_if_t<std::is_same_v<T, bool>, int> = 0>
    value(T b) noexcept : data_(b) {}
    template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
    value(T n) noexcept : data_(make_integer(n)) {}
    template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
    value(T d) noexcept : data_(static_cast<double>(d)) {}

    value(const char* s) : data_(std::string(s)) {}
    value(std::string_view s) : data_(std::string(s)) {}
    value(std::string s) noexcept : data_(std::move(s)) {}
    value(binary b) noexcept : data_(std::move(b)) {}
    value(sio::array a) noexcept : data_(std::move(a)) {}
    value(sio::object o) noexcept : data_(std::move(o)) {}

    value_kind kind() const noexcept { return static_cast<value_kind>(data_.index()); }

    bool is_null() const noexcept { return kind() == value_kind::null; }
    bool is_bool() const noexcept { return kind() == value_kind::boolean; }
    bool is_int64() const noexcept { return kind() == value_kind::integer; }
    bool is_uint64() const noexcept { return kind() == value_kind::unsigned_integer; }
    bool is_integer() const noexcept { return is_int64() || is_uint64(); }
    bool is_double() const noexcept { return kind() == value_kind::floating; }
    bool is_number() const noexcept { return is_integer() || is_double(); }
    bool is_string() const noexcept { return kind() == value_kind::string; }
    bool is_binary() const noexcept { return kind() == value_kind::binary; }
    bool is_array() const noexcept { return kind() == value_kind::array; }
    bool is_object() const noexcept { return kind() == value_kind::object; }

    // Checked accessors: the wrong kind throws std::bad_variant_access (never UB).
    // For lenient, range-checked numeric conversions use sio::from_value (convert.hpp).
    bool as_bool() const { return std::get<bool>(data_); }
    std::int64_t as_int64() const { return std::get<std::int64_t>(data_); }
    std::uint64_t as_uint64() const { return std::get<std::uint64_t>(data_); }
    double as_double() const {  // any number, converted to double
        if (is_int64()) return static_cast<double>(as_int64());
        if (is_uint64()) return static_cast<double>(as_uint64());
        return std::get<double>(data_);
    }
    const std::string& as_string() const { return std::get<std::string>(data_); }
    std::string& as_string() { return std::get<std::string>(data_); }
    const binary& as_binary() const { return std::get<binary>(data_); }
    binary& as_binary() { return std::get<binary>(data_); }
    const sio::array& as_array() const { return std::get<sio::array>(data_); }
    sio::array& as_array() { return std::get<sio::array>(data_); }
    const sio::object& as_object() const { return std::get<sio::object>(data_); }
    sio::object& as_object() { return std::get<sio::object>(data_); }

    // Non-throwing access: nullptr when the kind differs. T is one of std::nullptr_t, bool,
    // std::int64_t, std::uint64_t, double, std::string, binary, array, object.
    template <class T> const T* get_if() const noexcept { return std::get_if<T>(&data_); }
    template <class T> T* get_if() noexcept { return std::get_if<T>(&data_); }

    // --- arrays -----------------------------------------------------------------------------
    // Element access is bounds-checked (std::out_of_range) because indices often come from peers.
    value& operator[](std::size_t index) { return as_array().at(index); }
    const value& operator[](std::size_t index) const { return as_array().at(index); }

    // Appends; a null value becomes an empty array first (so `value v; v.push_back(1);` works).
    value& push_back(value element) {
        if (is_null()) data_ = sio::array{};
        auto& elements = as_array();
        elements.push_back(std::move(element));
        return elements.back();
    }

    // --- objects ----------------------------------------------------------------------------
    // nullptr when this is not an object or has no such key.
    const value* find(std::string_view key) const noexcept { return find_member(*this, key); }
    value* find(std::string_view key) noexcept { return find_member(*this, key); }
    bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }

    // Member lookup; a missing key throws std::out_of_range.
    const value& at(std::string_view key) const {
        if (const value* member = find(key)) return *member;
        throw std::out_of_range("sio::value: no member named '" + std::string(key) + "'");
    }
    const value& operator[](std::string_view key) const { return at(key); }

    // Member access that inserts null for a missing key (appended, keeping insertion order);
    // a null value becomes an empty object first.
    value& operator[](std::string_view key) {
        if (value* member = find(key)) return *member;
        return emplace(std::string(key), value{});
    }

    // Sets a member: replaces the value of an existing key in place (its position is kept, as when
    // assigning to an existing JS property), otherwise appends. A null value becomes an object first.
    value& emplace(std::string key, value member_value) {
        if (is_null()) data_ = sio::object{};
        auto& members = as_object();
        for (auto& member : members) {
            if (member.first == key) {
                member.second = std::move(member_value);
                return member.second;
            }
        }
        members.emplace_back(std::move(key), std::move(member_value));
        return members.back().second;
    }

    // Deep equality with JS semantics for numbers (1 == 1.0 whatever the storage) and for objects
    // (member order does not matter). Binary equals binary only, never an array of numbers.
    friend bool operator==(const value& a, const value& b) noexcept { return equal(a, b); }
    friend bool operator!=(const value& a, const value& b) noexcept { return !equal(a, b); }

private:
    using storage = std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string,
                                 binary, sio::array, sio::object>;

    // Shared by the const and non-const find(): yields `const value*` or `value*` accordingly.
    template <class Self>
    static auto find_member(Self& self, std::string_view key) noexcept -> decltype(&self.as_object().front().second) {
        if (auto* members = self.template get_if<sio::object>())
            for (auto& member : *members)
                if (member.first == key) return &member.second;
        return nullptr;
    }

    template <class T> static storage make_integer(T n) noexcept {
        if constexpr (std::is_signed_v<T>) {
            return static_cast<std::int64_t>(n);
        } else {
            if (static_cast<std::uint64_t>(n) <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                return static_cast<std::int64_t>(n);
            return static_cast<std::uint64_t>(n);
        }
    }

    // Exact comparison of an integer with a double (no rounding through double).
    template <class Int> static bool equal_number(double d, Int n) noexcept {
        constexpr double two_pow_63 = 9223372036854775808.0;
        constexpr double upper = std::is_signed_v<Int> ? two_pow_63 : 2.0 * two_pow_63;
        constexpr double lower = std::is_signed_v<Int> ? -two_pow_63 : 0.0;
        if (!(d >= lower && d < upper) || std::trunc(d) != d) return false;
        return static_cast<Int>(d) == n;
    }

    static bool equal(const value& a, const value& b) noexcept {
        if (a.is_number() && b.is_number()) {
            if (a.kind() == b.kind()) return a.data_ == b.data_;
            if (a.is_integer() && b.is_integer()) return false;  // int64 and >INT64_MAX never meet
            const value& d = a.is_double() ? a : b;
            const value& n = a.is_double() ? b : a;
            return n.is_int64() ? equal_number(d.as_double(), n.as_int64())
                                : equal_number(d.as_double(), n.as_uint64());
        }
        if (a.kind() != b.kind()) return false;
        if (a.is_object()) {
            const auto& members = a.as_object();
            if (members.size() != b.as_object().size()) return false;
            for (const auto& member : members) {
                const value* other = b.find(member.first);
                if (!other || !equal(member.second, *other)) return false;
            }
            return true;
        }
        if (a.is_array()) {
            const auto& x = a.as_array();
            const auto& y = b.as_array();
            if (x.size() != y.size()) return false;
            for (std::size_t i = 0; i < x.size(); ++i)
                if (!equal(x[i], y[i])) return false;
            return true;
        }
        return a.data_ == b.data_;
    }

    storage data_;
};

static_assert(std::is_nothrow_move_constructible_v<value> && std::is_nothrow_move_assignable_v<value>,
              "sio::value must move cheaply: containers of values rely on it");

}  // namespace sio
