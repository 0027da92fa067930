#pragma once
// Turns the bytes read from Redis into sio::redis::reply values with hiredis's RESP2 reader
// (redisReaderCreateWithFunctions: the reader calls the functions below to build each value, so no
// redisReply is built and copied).
//
// hiredis bounds nesting (7 levels) and element counts (INT_MAX), not the size of a bulk string or of
// a whole reply. This reader bounds one reply, max_reply_bytes, counting both the input not yet
// turned into values (what hiredis buffers for an incomplete bulk string, say) and the memory of
// the values built so far (a reply of many small elements costs more memory than wire bytes). An
// element count is never used to reserve memory: an array grows with the elements that arrived.
#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <system_error>

#include <hiredis/read.h>

#include "sio/redis/error.hpp"
#include "sio/redis/reply.hpp"

namespace sio::redis {

class reader {
 public:
  enum class result { reply, need_more, error };

  explicit reader(std::size_t max_reply_bytes) : state_{max_reply_bytes} {
    static redisReplyObjectFunctions functions{&create_string, &create_array, &create_integer, &create_nil, &free_object};
    reader_.reset(redisReaderCreateWithFunctions(&functions));
    if (!reader_) throw std::bad_alloc();
    reader_->privdata = &state_;
    // Keep hiredis's default maxbuf (16 KiB): an idle buffer larger than that is given back.
  }
  reader(const reader&) = delete;
  reader& operator=(const reader&) = delete;

  /// Appends bytes read from the server. Returns false when the reader is in error (see error()).
  bool feed(const char* data, std::size_t size) {
    if (redisReaderFeed(reader_.get(), data, size) != REDIS_OK) return fail(errc::protocol_error);
    return true;
  }

  /// The next complete reply into `out`, need_more when the input holds none, or error (the reader
  /// is then unusable: drop the connection).
  result next(reply& out) {
    if (error_) return result::error;
    void* object = nullptr;
    if (redisReaderGetReply(reader_.get(), &object) != REDIS_OK) {
      fail(state_.over_limit ? errc::reply_too_large : errc::protocol_error);
      return result::error;
    }
    if (!object) {
      if (buffered() > state_.max_bytes) {
        fail(errc::reply_too_large);
        return result::error;
      }
      return result::need_more;
    }
    std::unique_ptr<reply> root(static_cast<reply*>(object));
    out = std::move(*root);
    state_.built_bytes = 0;
    return result::reply;
  }

  /// Bytes held for the reply in progress: input not parsed yet plus the values built so far.
  std::size_t buffered() const noexcept { return (reader_->len - reader_->pos) + state_.built_bytes; }

  std::error_code error() const noexcept { return error_; }
  /// hiredis's description of a protocol error ("Protocol error, got ... as reply type byte"), or the bound hit.
  const std::string& error_message() const noexcept { return error_message_; }

 private:
  struct state {
    std::size_t max_bytes;
    std::size_t built_bytes = 0;
    bool over_limit = false;
  };
  struct reader_deleter {
    void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
  };

  bool fail(errc e) {
    error_ = e;
    if (e == errc::reply_too_large) {
      error_message_ = "reply larger than " + std::to_string(state_.max_bytes) + " bytes";
    } else {
      error_message_ = reader_->err ? reader_->errstr : "protocol error";
    }
    return false;
  }

  // The functions hiredis calls; returning nullptr makes it stop with an "out of memory" error,
  // which is how a reply over the bound stops (over_limit tells the two apart).
  static reply* place(const redisReadTask* task, reply&& value, std::size_t cost) {
    auto* st = static_cast<state*>(task->privdata);
    st->built_bytes += sizeof(reply) + cost;
    if (st->built_bytes > st->max_bytes) {
      st->over_limit = true;
      return nullptr;
    }
    if (!task->parent) return new (std::nothrow) reply(std::move(value));
    // Elements arrive in order, depth first: an array's earlier elements are complete when the
    // next one is appended, so a reallocation moves no value hiredis still points to.
    auto& siblings = static_cast<reply*>(task->parent->obj)->elements();
    siblings.push_back(std::move(value));
    return &siblings.back();
  }
  static void* create_string(const redisReadTask* task, char* data, std::size_t size) {
    std::string s(data, size);
    switch (task->type) {
      case REDIS_REPLY_STATUS: return place(task, reply::make_status(std::move(s)), size);
      case REDIS_REPLY_ERROR: return place(task, reply::make_error(std::move(s)), size);
      default: return place(task, reply::make_string(std::move(s)), size);
    }
  }
  static void* create_array(const redisReadTask* task, int elements) {
    reply r = reply::make_array();
    r.elements().reserve(static_cast<std::size_t>(std::min(elements, 16)));
    return place(task, std::move(r), 0);
  }
  static void* create_integer(const redisReadTask* task, long long value) { return place(task, reply::make_integer(value), 0); }
  static void* create_nil(const redisReadTask* task) { return place(task, reply(), 0); }
  // hiredis frees only the root of a reply (on error, or when the reader is freed mid-reply);
  // the elements live inside it.
  static void free_object(void* object) { delete static_cast<reply*>(object); }

  state state_;
  std::unique_ptr<redisReader, reader_deleter> reader_;
  std::error_code error_;
  std::string error_message_;
};

}  // namespace sio::redis
