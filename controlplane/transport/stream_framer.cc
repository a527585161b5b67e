#include "controlplane/transport/stream_framer.h"

namespace sbc::cp {

bool StreamFramer::append(std::string_view bytes) {
  // Compact only when new bytes arrive: handing out messages stays O(message).
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  if (buffer_.size() + bytes.size() > limits_.max_message + kReadChunk) return false;
  buffer_.append(bytes);
  return true;
}

std::expected<StreamFramer::Frame, sip::ParseError> StreamFramer::next() {
  while (true) {
    const std::string_view rest = std::string_view(buffer_).substr(consumed_);
    if (rest.starts_with("\r\n\r\n")) {
      consumed_ += 4;
      return Frame{Frame::Kind::kPing, {}};
    }
    // "\r", "\r\n" or "\r\n\r" may be the start of a ping split across reads: wait for more.
    if (rest == "\r" || rest == "\r\n" || rest == "\r\n\r") return Frame{};
    if (rest.starts_with("\r\n")) {
      consumed_ += 2;  // a bare CRLF between messages (a pong, or padding): skipped
      continue;
    }
    if (rest.empty()) return Frame{};
    auto length = sip::stream_frame_length(rest, limits_);
    if (!length) {
      if (length.error() == sip::ParseError::kIncomplete) return Frame{};
      return std::unexpected(length.error());
    }
    Frame frame{Frame::Kind::kMessage, std::string(rest.substr(0, *length))};
    consumed_ += *length;
    return frame;
  }
}

}  // namespace sbc::cp
