// Splits a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3: framing by Content-Length) and
// RFC 5626 §3.5.1 CRLF keep-alives. Pure logic, no sockets: the connection feeds what it reads.
// Work is linear in the bytes received however they are split: the header is handed to the parser
// only once its end (an empty line) is buffered, and a body is awaited by its known length.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include "controlplane/sip/message.h"

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
  // Bytes handed to the message parser so far (shows the work stays linear).
  [[nodiscard]] size_t parsed_bytes() const { return parsed_bytes_; }

 private:
  // Starts the next item at the current front (state of the previous one dropped).
  void advance(size_t bytes);
  // Offset (in the unconsumed bytes) just past the empty line ending the header; 0 while not
  // buffered. Resumes where the previous call stopped.
  size_t find_header_end(std::string_view rest);

  sip::Limits limits_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes at the front of buffer_ already handed out
  // State of the item at the front, offsets relative to consumed_:
  size_t lead_ = 0;     // leading CR/LF bytes (skipped by the parser, part of the frame)
  size_t scanned_ = 0;  // bytes searched for the header end without finding it
  size_t total_ = 0;    // the frame's length once the header is parsed; 0 while unknown
  size_t parsed_bytes_ = 0;
};

}  // namespace sbc::cp
