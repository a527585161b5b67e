// Framing and indexing of one SIP message (RFC 3261 §7): start line, header fields (with line
// folding), limits, and the body delimited by Content-Length.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "controlplane/sip/keepalive.h"
#include "controlplane/sip/lexer.h"
#include "controlplane/sip/message.h"

namespace sbc::cp::sip {
namespace {

constexpr std::string_view kVersion = "SIP/2.0";
constexpr size_t kTypicalHeaders = 24;

// One physical line: [begin, end) without its terminator; next = first byte after it.
struct Line {
  size_t begin = 0;
  size_t end = 0;
  size_t next = 0;
};

// Reads the line at pos (CRLF or bare LF terminated). nullopt when no terminator follows.
std::optional<Line> read_line(std::string_view s, size_t pos) {
  const size_t nl = s.find('\n', pos);
  if (nl == std::string_view::npos) return std::nullopt;
  Line line{pos, nl, nl + 1};
  if (line.end > pos && s[line.end - 1] == '\r') --line.end;
  return line;
}

// True if s holds a byte below 0x20 (including HTAB, CR, LF) or DEL, eight bytes per step: the
// fast path of the byte checks, as almost no field holds any of them. The borrow of the "< 0x20"
// test can only flag bytes above a real hit, so the answer is exact.
bool has_control_byte(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x = 0;
    std::memcpy(&x, s.data() + i, 8);
    const uint64_t del = x ^ (0x7f * kOnes);
    if ((((x - 0x20 * kOnes) & ~x) | ((del - kOnes) & ~del)) & kHigh) return true;
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

bool has_forbidden_byte(std::string_view s) {
  if (!has_control_byte(s)) return false;
  for (char c : s) {
    // A lone CR inside a line is as bad as any control byte.
    if (lex::is_forbidden_ctl(c) || c == '\r') return true;
  }
  return false;
}

// Control bytes are allowed only as a quoted-pair inside a quoted string (RFC 3261 §25.1:
// quoted-pair = "\\" (%x00-09 / %x0B-0C / %x0E-7F)).
bool valid_field_bytes(std::string_view field) {
  if (!has_control_byte(field)) return true;
  bool quoted = false;
  for (size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    if (quoted && c == '\\' && i + 1 < field.size() && field[i + 1] != '\r' &&
        field[i + 1] != '\n') {
      ++i;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (lex::is_forbidden_ctl(c)) return false;
  }
  return true;
}

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT ("SIP" case-insensitive, RFC 3261 §7.1).
bool is_version(std::string_view v) {
  if (v.size() < 7 || !iequals(v.substr(0, 4), "SIP/")) return false;
  const size_t dot = v.find('.', 4);
  if (dot == std::string_view::npos || dot == 4 || dot + 1 == v.size()) return false;
  for (size_t i = 4; i < v.size(); ++i) {
    if (i != dot && !lex::is_digit(v[i])) return false;
  }
  return true;
}

// Removes the spaces at the front / back of s; true when there were none.
bool trim_spaces_front(std::string_view& s) {
  const size_t n = std::min(s.find_first_not_of(' '), s.size());
  s.remove_prefix(n);
  return n == 0;
}

bool trim_spaces_back(std::string_view& s) {
  const size_t keep = s.find_last_not_of(' ') + 1;  // npos + 1 == 0: all spaces
  const bool none = keep == s.size();
  s.remove_suffix(s.size() - keep);
  return none;
}

// Number of elements of a comma list (commas inside quotes and <> do not count), without
// allocating: enough to enforce Limits::max_vias before anything parses the values.
size_t count_list_items(std::string_view value) {
  size_t items = 1;
  bool quoted = false;
  int angle = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      ++angle;
    } else if (c == '>' && angle > 0) {
      --angle;
    } else if (c == ',' && angle == 0) {
      ++items;
    }
  }
  return items;
}

// The header fields of one message, read a line at a time. A line starting with SP/HTAB continues
// the previous field (folding); a field is checked and indexed once its last line is read.
class HeaderReader {
 public:
  HeaderReader(std::string_view all, const Limits& limits, std::vector<HeaderField>& headers)
      : all_(all), limits_(limits), headers_(headers) {}

  // Reads the fields from pos to the empty line; returns where the body begins.
  std::expected<size_t, ParseError> read(size_t pos, Framing framing) {
    while (true) {
      const auto line = read_line(all_, pos);
      if (!line) return end_without_empty_line(pos, framing);
      const std::string_view text = all_.substr(line->begin, line->end - line->begin);
      if (text.find('\r') != std::string_view::npos)
        return std::unexpected(ParseError::kInvalidCharacter);
      if (text.empty()) {
        if (auto ok = finish_field(); !ok) return std::unexpected(ok.error());
        return line->next;
      }
      if (auto ok = take_line(*line); !ok) return std::unexpected(ok.error());
      pos = line->next;
    }
  }

 private:
  // No line terminator after pos. A datagram may end right after its last header line without
  // the empty line (RFC 4475 baddn): nothing is ambiguous, the body is empty. A stream must wait
  // for the empty line.
  std::expected<size_t, ParseError> end_without_empty_line(size_t pos, Framing framing) {
    if (framing == Framing::kDatagram && pos == all_.size()) {
      if (auto ok = finish_field(); !ok) return std::unexpected(ok.error());
      return pos;
    }
    return std::unexpected(all_.size() - pos > limits_.max_header_line && open_field_
                               ? ParseError::kHeaderLineTooLong
                               : ParseError::kNoHeaderEnd);
  }

  // A non-empty header line: the continuation of the open field, or the start of the next one.
  std::expected<void, ParseError> take_line(const Line& line) {
    const char c = all_[line.begin];
    if (c == ' ' || c == '\t') {
      if (!open_field_) return std::unexpected(ParseError::kBadHeaderLine);
      field_end_ = line.end;
      if (field_end_ - field_begin_ > limits_.max_header_line) {
        return std::unexpected(ParseError::kHeaderLineTooLong);
      }
      return {};
    }
    if (auto ok = finish_field(); !ok) return ok;
    open_field_ = true;
    field_begin_ = line.begin;
    field_end_ = line.end;
    return {};
  }

  std::expected<void, ParseError> finish_field() {
    if (!open_field_) return {};
    return close_field();
  }

  // Checks the open field (length, bytes, name) and indexes it.
  std::expected<void, ParseError> close_field() {
    open_field_ = false;
    const std::string_view field = all_.substr(field_begin_, field_end_ - field_begin_);
    if (field.size() > limits_.max_header_line)
      return std::unexpected(ParseError::kHeaderLineTooLong);
    if (!valid_field_bytes(field)) return std::unexpected(ParseError::kInvalidCharacter);
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos) return std::unexpected(ParseError::kBadHeaderLine);
    std::string_view name = field.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (!is_token(name)) return std::unexpected(ParseError::kBadHeaderLine);
    if (headers_.size() >= limits_.max_headers) return std::unexpected(ParseError::kTooManyHeaders);
    HeaderField h{header_id(name), name, trim_lws(field.substr(colon + 1))};
    if (h.id == HeaderId::kVia) {
      // Count values now so a Via bomb is refused before anyone parses it.
      vias_ += count_list_items(h.value);
      if (vias_ > limits_.max_vias) return std::unexpected(ParseError::kTooManyVias);
    }
    headers_.push_back(h);
    return {};
  }

  std::string_view all_;
  const Limits& limits_;
  std::vector<HeaderField>& headers_;
  size_t field_begin_ = 0;  // the open field: [field_begin_, field_end_) incl. folded lines
  size_t field_end_ = 0;
  bool open_field_ = false;
  size_t vias_ = 0;  // Via values so far
};

// The value of the Content-Length fields, nullopt when there is none. kBadContentLength for a
// malformed one, kDuplicateHeader when two disagree (the first problem found).
std::expected<std::optional<uint64_t>, ParseError> content_length_of(
    std::span<const HeaderField> headers) {
  std::optional<uint64_t> content_length;
  for (const auto& h : headers) {
    if (h.id != HeaderId::kContentLength) continue;
    const auto v = parse_decimal(h.value, 10);
    if (!v) return std::unexpected(ParseError::kBadContentLength);
    if (content_length && *content_length != *v) {
      return std::unexpected(ParseError::kDuplicateHeader);
    }
    content_length = v;
  }
  return content_length;
}

}  // namespace

// Builds Message objects; a friend of Message so the fields stay private.
class MessageParser {
 public:
  static std::expected<Message, ParseError> parse(std::string bytes, const Limits& limits,
                                                  Framing framing);

 private:
  // The start line: sets the request or the response fields of m.
  static std::expected<void, ParseError> parse_start_line(Message& m, std::string_view line);
  static std::expected<void, ParseError> parse_status_line(Message& m, std::string_view version,
                                                           std::string_view rest);
  static std::expected<void, ParseError> parse_request_line(Message& m, std::string_view method,
                                                            std::string_view rest);
  // Sets the body and the framed size once the header fields are read (body_begin: the byte
  // after the empty line).
  static std::expected<void, ParseError> frame_body(Message& m, size_t body_begin,
                                                    const Limits& limits, Framing framing);
};

std::expected<void, ParseError> MessageParser::parse_start_line(Message& m, std::string_view line) {
  if (line.empty()) return std::unexpected(ParseError::kBadStartLine);
  if (has_forbidden_byte(line)) return std::unexpected(ParseError::kInvalidCharacter);
  m.start_line_ = line;
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return std::unexpected(ParseError::kBadStartLine);
  const std::string_view first = line.substr(0, sp1);
  const std::string_view rest = line.substr(sp1 + 1);
  if (first.size() > 4 && iequals(first.substr(0, 4), "SIP/")) {
    return parse_status_line(m, first, rest);
  }
  return parse_request_line(m, first, rest);
}

// Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
std::expected<void, ParseError> MessageParser::parse_status_line(Message& m,
                                                                 std::string_view version,
                                                                 std::string_view rest) {
  if (!iequals(version, kVersion)) return std::unexpected(ParseError::kBadVersion);
  const size_t sp2 = rest.find(' ');
  const std::string_view code = rest.substr(0, sp2);
  const auto value = parse_decimal(code, 3);
  if (!value || code.size() != 3 || *value < 100 || *value > 699) {
    return std::unexpected(ParseError::kBadStatusCode);
  }
  m.version_ = version;
  m.status_code_ = static_cast<int>(*value);
  m.reason_ = sp2 == std::string_view::npos ? std::string_view{} : rest.substr(sp2 + 1);
  return {};
}

// Request-Line = Method SP Request-URI SP SIP-Version. The method and the version delimit the
// line; extra spaces (RFC 4475 lwsstart, trws) or a malformed Request-URI (ltgtruri, lwsruri)
// leave a request a server can still answer: they are recorded as a defect for validate().
std::expected<void, ParseError> MessageParser::parse_request_line(Message& m,
                                                                  std::string_view method,
                                                                  std::string_view rest) {
  if (!is_token(method)) return std::unexpected(ParseError::kBadMethod);
  bool spacing_ok = trim_spaces_back(rest);
  const size_t sp2 = rest.rfind(' ');
  if (sp2 == std::string_view::npos) return std::unexpected(ParseError::kBadStartLine);
  const std::string_view version = rest.substr(sp2 + 1);
  if (!is_version(version)) return std::unexpected(ParseError::kBadVersion);
  std::string_view uri = rest.substr(0, sp2);
  spacing_ok = trim_spaces_front(uri) && spacing_ok;
  spacing_ok = trim_spaces_back(uri) && spacing_ok;
  if (uri.empty()) return std::unexpected(ParseError::kBadStartLine);
  if (!spacing_ok) {
    m.defect_ = ParseError::kBadStartLine;
  } else if (!is_absolute_uri(uri)) {
    m.defect_ = ParseError::kBadRequestUri;
  }
  m.is_request_ = true;
  m.version_ = version;
  m.method_text_ = method;
  m.method_ = method_from_text(method);
  m.request_uri_ = uri;
  return {};
}

std::expected<Message, ParseError> MessageParser::parse(std::string bytes, const Limits& limits,
                                                        Framing framing) {
  if (bytes.size() > limits.max_message) return std::unexpected(ParseError::kMessageTooLarge);
  Message m;
  m.buffer_ = std::make_shared<const std::string>(std::move(bytes));
  const std::string_view all(*m.buffer_);
  const size_t begin = keepalive_prefix(all);
  if (begin == all.size()) return std::unexpected(ParseError::kEmpty);
  m.begin_ = begin;

  const auto first = read_line(all, begin);
  if (!first) return std::unexpected(ParseError::kNoHeaderEnd);
  if (auto ok = parse_start_line(m, all.substr(first->begin, first->end - first->begin)); !ok) {
    return std::unexpected(ok.error());
  }
  // One allocation covers typical messages (an INVITE has 10-20 fields).
  m.headers_.reserve(std::min<size_t>(limits.max_headers, kTypicalHeaders));
  const auto body_begin = HeaderReader(all, limits, m.headers_).read(first->next, framing);
  if (!body_begin) return std::unexpected(body_begin.error());
  if (auto ok = frame_body(m, *body_begin, limits, framing); !ok) {
    return std::unexpected(ok.error());
  }
  return m;
}

// Body, delimited by Content-Length (all its occurrences must agree). A datagram request whose
// Content-Length is malformed, conflicting or too large for the datagram is still delimited
// (by the datagram) so it can be answered 400 (RFC 4475 clerr, ncl, mcl01); validate() reports
// the defect. On a stream such a message cannot be delimited: it is an error.
std::expected<void, ParseError> MessageParser::frame_body(Message& m, size_t body_begin,
                                                          const Limits& limits, Framing framing) {
  const std::string_view all(*m.buffer_);
  const bool lenient = framing == Framing::kDatagram && m.is_request_;
  std::optional<uint64_t> content_length;
  if (auto found = content_length_of(m.headers_)) {
    content_length = *found;
  } else {
    if (!lenient) return std::unexpected(found.error());
    m.defect_ = m.defect_.value_or(found.error());
  }
  const size_t available = all.size() - body_begin;
  size_t body_size = available;
  if (content_length) {
    if (*content_length > limits.max_body) return std::unexpected(ParseError::kBodyTooLarge);
    if (*content_length > available) {
      if (!lenient) return std::unexpected(ParseError::kBodyTruncated);
      m.defect_ = m.defect_.value_or(ParseError::kBodyTruncated);
    } else {
      body_size = static_cast<size_t>(*content_length);
    }
  } else if (framing == Framing::kStream) {
    return std::unexpected(ParseError::kMissingHeader);
  }
  if (body_size > limits.max_body) return std::unexpected(ParseError::kBodyTooLarge);
  m.body_ = all.substr(body_begin, body_size);
  m.size_ = body_begin + body_size - m.begin_;
  return {};
}

std::expected<Message, ParseError> Message::parse(std::string bytes, const Limits& limits,
                                                  Framing framing) {
  return MessageParser::parse(std::move(bytes), limits, framing);
}

std::expected<size_t, ParseError> stream_frame_length(std::string_view buffer,
                                                      const Limits& limits) {
  const size_t begin = keepalive_prefix(buffer);
  if (begin == buffer.size()) return std::unexpected(ParseError::kIncomplete);
  std::optional<uint64_t> content_length;
  size_t pos = begin;
  bool first = true;
  while (true) {
    const auto line = read_line(buffer, pos);
    if (!line) {
      return std::unexpected(buffer.size() - begin > limits.max_message
                                 ? ParseError::kMessageTooLarge
                                 : ParseError::kIncomplete);
    }
    if (line->next - begin > limits.max_message)
      return std::unexpected(ParseError::kMessageTooLarge);
    const std::string_view text = buffer.substr(line->begin, line->end - line->begin);
    if (text.empty()) {
      pos = line->next;
      break;
    }
    const size_t colon = text.find(':');
    if (!first && text[0] != ' ' && text[0] != '\t' && colon != std::string_view::npos) {
      const HeaderId id = header_id(trim_lws(text.substr(0, colon)));
      if (id == HeaderId::kContentLength) {
        // Folded Content-Length values are not supported on streams: the value must be on the line.
        const auto v = parse_decimal(trim_lws(text.substr(colon + 1)), 10);
        if (!v) return std::unexpected(ParseError::kBadContentLength);
        // Two different lengths leave the frame boundary ambiguous: a smuggled request could hide
        // in the body. Fail the frame so the connection is closed (RFC 4475 mcl01).
        if (content_length && *content_length != *v) {
          return std::unexpected(ParseError::kDuplicateHeader);
        }
        content_length = v;
      }
    }
    first = false;
    pos = line->next;
  }
  if (!content_length) return std::unexpected(ParseError::kMissingHeader);
  if (*content_length > limits.max_body) return std::unexpected(ParseError::kBodyTooLarge);
  const size_t total = pos + static_cast<size_t>(*content_length);
  if (total - begin > limits.max_message) return std::unexpected(ParseError::kMessageTooLarge);
  if (buffer.size() < total) return std::unexpected(ParseError::kIncomplete);
  return total;
}

}  // namespace sbc::cp::sip
