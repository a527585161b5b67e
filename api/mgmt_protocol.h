// The management protocol between sbcd (server) and sbc-cli (client).
//
// Transport: AF_UNIX SOCK_STREAM ([sbcd] mgmt_socket, default /run/sbc/sbcd.sock).
// Framing: newline-delimited JSON. One request or reply per line, a single '\n' ends it; JSON never
// needs a raw newline inside a value (strings escape it), so debugging with
//     echo '{"id":1,"command":["show","calls"]}' | socat - UNIX-CONNECT:/run/sbc/sbcd.sock
// works. Lines are bounded: a request by kMaxRequestSize, a reply by kMaxReplySize (both counting
// the '\n'). Strings are UTF-8; invalid bytes in output are replaced (U+FFFD), never fatal.
//
// Request:  {"id": 7, "command": ["show", "call", "42"], "format": "text"}
//   id       unsigned integer chosen by the client, echoed in the reply (optional, default 0);
//   command  the command words, non-empty array of strings;
//   format   "text" (default) or "json": which half of the output the client wants.
// Reply:    {"id": 7, "ok": true, "text": "...", "data": {...}}
//           {"id": 7, "ok": false, "error": "unknown command 'shw'; did you mean: show"}
//   text is present for format text, data for format json (null when the command has none).
// Replies come in request order; a client may pipeline. Unknown members are ignored so either side
// can grow the protocol without breaking the other.
//
// Every decode function returns an error value for malformed input; nothing here throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::api {

inline constexpr size_t kMaxRequestSize = 64 * 1024;
inline constexpr size_t kMaxReplySize = 16 * 1024 * 1024;
inline constexpr std::string_view kDefaultMgmtSocket = "/run/sbc/sbcd.sock";

enum class OutputFormat : uint8_t { kText, kJson };
std::string_view to_string(OutputFormat format);

struct MgmtRequest {
  uint64_t id = 0;
  std::vector<std::string> command;
  OutputFormat format = OutputFormat::kText;
  bool operator==(const MgmtRequest&) const = default;
};

struct MgmtReply {
  uint64_t id = 0;
  bool ok = false;
  std::string text;     // human output (format text, ok)
  nlohmann::json data;  // structured output (format json, ok); null if none
  std::string error;    // why it failed (!ok)
  bool operator==(const MgmtReply&) const = default;

  static MgmtReply success(uint64_t id, std::string text, nlohmann::json data);
  static MgmtReply failure(uint64_t id, std::string error);
};

// Encode to one line, '\n' included. Fails if the line would exceed the direction's bound (or a
// request has no command words).
[[nodiscard]] std::expected<std::string, std::string> encode_request(const MgmtRequest& request);
[[nodiscard]] std::expected<std::string, std::string> encode_reply(const MgmtReply& reply);

// Decode one line (with or without its trailing '\n').
[[nodiscard]] std::expected<MgmtRequest, std::string> decode_request(std::string_view line);
[[nodiscard]] std::expected<MgmtReply, std::string> decode_reply(std::string_view line);

// Splits a byte stream into lines with a bound: feed what the socket gave, then take complete
// lines. Once a line exceeds the bound the stream cannot be resynchronised safely, so the framer
// stays failed (the connection should be closed after reporting the error).
class LineFramer {
 public:
  explicit LineFramer(size_t max_line_size) : max_line_size_(max_line_size) {}

  void append(std::string_view bytes) { buffer_.append(bytes); }

  // The next complete line without its '\n'; nullopt if none is complete yet; an error if the
  // pending line is (or has become) longer than the bound.
  [[nodiscard]] std::expected<std::optional<std::string>, std::string> next();

  // Bytes received but not yet returned as a line.
  [[nodiscard]] size_t pending() const { return buffer_.size() - consumed_; }

 private:
  size_t max_line_size_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes at the front of buffer_ already returned
  bool failed_ = false;
};

}  // namespace sbc::api
