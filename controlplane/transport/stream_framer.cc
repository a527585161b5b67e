#include "controlplane/transport/stream_framer.h"

#include <algorithm>

#include "controlplane/sip/header_table.h"
#include "controlplane/sip/keepalive.h"
#include "controlplane/sip/params.h"

namespace sbc::cp {
namespace {

// The Content-Length of a complete header that stream_frame_length() already accepted (value
// valid, no conflicting duplicate), so the first field found is the one.
size_t content_length(std::string_view header) {
  size_t pos = header.find('\n');  // past the start line
  while (pos != std::string_view::npos && pos + 1 < header.size()) {
    const size_t begin = pos + 1;
    pos = header.find('\n', begin);
    const std::string_view line =
        header.substr(begin, pos == std::string_view::npos ? std::string_view::npos : pos - begin);
    const size_t colon = line.find(':');
    if (line.empty() || line[0] == ' ' || line[0] == '\t' || colon == std::string_view::npos) {
      continue;
    }
    if (sip::header_id(sip::trim_lws(line.substr(0, colon))) != sip::HeaderId::kContentLength) {
      continue;
    }
    return static_cast<size_t>(
        sip::parse_decimal(sip::trim_lws(line.substr(colon + 1))).value_or(0));
  }
  return 0;
}

}  // namespace

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

void StreamFramer::advance(size_t bytes) {
  consumed_ += bytes;
  lead_ = 0;
  scanned_ = 0;
  total_ = 0;
}

size_t StreamFramer::find_header_end(std::string_view rest) {
  lead_ += sip::keepalive_prefix(rest.substr(lead_));
  // "\n\r\n" may straddle the previous search's end: back up two bytes.
  size_t pos = std::max(lead_, scanned_ >= 2 ? scanned_ - 2 : 0);
  while ((pos = rest.find('\n', pos)) != std::string_view::npos) {
    if (pos + 1 < rest.size() && rest[pos + 1] == '\n') return pos + 2;
    if (pos + 2 < rest.size() && rest[pos + 1] == '\r' && rest[pos + 2] == '\n') return pos + 3;
    ++pos;
  }
  scanned_ = rest.size();
  return 0;
}

std::expected<StreamFramer::Frame, sip::ParseError> StreamFramer::next() {
  while (true) {
    const std::string_view rest = std::string_view(buffer_).substr(consumed_);
    if (total_ != 0) {  // header parsed: only the body is awaited
      if (rest.size() < total_) return Frame{};
      Frame frame{Frame::Kind::kMessage, std::string(rest.substr(0, total_))};
      advance(total_);
      return frame;
    }
    if (rest.starts_with("\r\n\r\n")) {
      advance(4);
      return Frame{Frame::Kind::kPing, {}};
    }
    // "\r", "\r\n" or "\r\n\r" may be the start of a ping split across reads: wait for more.
    if (rest == "\r" || rest == "\r\n" || rest == "\r\n\r") return Frame{};
    if (rest.starts_with("\r\n")) {
      advance(2);  // a bare CRLF between messages (a pong, or padding): skipped
      continue;
    }
    if (rest.empty()) return Frame{};
    const size_t header_end = find_header_end(rest);
    if (header_end == 0) {
      if (rest.size() - lead_ <= limits_.max_message) return Frame{};
      // Too long without an empty line: the parser names the first problem (one pass, then the
      // connection closes).
      parsed_bytes_ += rest.size();
      auto length = sip::stream_frame_length(rest, limits_);
      if (!length && length.error() != sip::ParseError::kIncomplete) {
        return std::unexpected(length.error());
      }
      return std::unexpected(sip::ParseError::kMessageTooLarge);
    }
    parsed_bytes_ += header_end;
    auto length = sip::stream_frame_length(rest.substr(0, header_end), limits_);
    if (!length && length.error() != sip::ParseError::kIncomplete) {
      return std::unexpected(length.error());
    }
    // The header is valid; with a body still to come, its length is now known.
    total_ = length ? *length : header_end + content_length(rest.substr(lead_, header_end - lead_));
  }
}

}  // namespace sbc::cp
