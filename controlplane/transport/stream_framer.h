// Splits a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3: framing by Content-Length) and
// RFC 5626 §3.5.1 CRLF keep-alives. Pure logic, no sockets: the connection feeds what it reads.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include "sip/message.h"

namespace sbc::cp {

class StreamFramer {
 public:
  // Largest single read the owner feeds; the buffer never holds more than one maximal message
  // plus one read.
  static constexpr size_t kReadChunk = 16 * 1024;

  struct Frame {
    enum class Kind : uint8_t {
      kNeedMore,  // no complete message buffered
      kPing,      // "\r\n\r\n": answer "\r\n" (RFC 5626 pong)
      kMessage,   // `message` holds one framed SIP message
    };
    Kind kind = Kind::kNeedMore;
    std::string message;
  };

  explicit StreamFramer(const sip::Limits& limits = {}) : limits_(limits) {}

  // Appends received bytes; false when they would overflow the bounded buffer (the caller closes
  // the connection).
  [[nodiscard]] bool append(std::string_view bytes);
  // The next item in the buffer; an error when the bytes can never form a valid message (the
  // stream cannot be resynchronised: the caller closes the connection).
  [[nodiscard]] std::expected<Frame, sip::ParseError> next();
  [[nodiscard]] size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  sip::Limits limits_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes at the front of buffer_ already handed out
};

}  // namespace sbc::cp
