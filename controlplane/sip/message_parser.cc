// Framing and indexing of one SIP message (RFC 3261 §7): start line, header fields (with line
// folding), limits, and the body delimited by Content-Length.
#include <string>

#include "sip/lexer.h"
#include "sip/message.h"

namespace sbc::cp::sip {
namespace {

constexpr std::string_view kVersion = "SIP/2.0";

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

size_t skip_keepalive_crlf(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == '\r' || s[i] == '\n')) ++i;
  return i;
}

bool has_forbidden_byte(std::string_view s) {
  for (char c : s) {
    // A lone CR inside a line is as bad as any control byte.
    if (lex::is_forbidden_ctl(c) || c == '\r') return true;
  }
  return false;
}

// Control bytes are allowed only as a quoted-pair inside a quoted string (RFC 3261 §25.1:
// quoted-pair = "\\" (%x00-09 / %x0B-0C / %x0E-7F)).
bool valid_field_bytes(std::string_view field) {
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

}  // namespace

// Builds Message objects; a friend of Message so the fields stay private.
class MessageParser {
 public:
  static std::expected<Message, ParseError> parse(std::string bytes, const Limits& limits,
                                                  Framing framing);

 private:
  static std::expected<void, ParseError> parse_start_line(Message& m, std::string_view line);
};

std::expected<void, ParseError> MessageParser::parse_start_line(Message& m, std::string_view line) {
  if (line.empty()) return std::unexpected(ParseError::kBadStartLine);
  if (has_forbidden_byte(line)) return std::unexpected(ParseError::kInvalidCharacter);
  m.start_line_ = line;
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return std::unexpected(ParseError::kBadStartLine);
  const std::string_view first = line.substr(0, sp1);
  if (first.size() > 4 && iequals(first.substr(0, 4), "SIP/")) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    if (!iequals(first, kVersion)) return std::unexpected(ParseError::kBadVersion);
    const std::string_view rest = line.substr(sp1 + 1);
    const size_t sp2 = rest.find(' ');
    const std::string_view code = rest.substr(0, sp2);
    const auto value = parse_decimal(code, 3);
    if (!value || code.size() != 3 || *value < 100 || *value > 699) {
      return std::unexpected(ParseError::kBadStatusCode);
    }
    m.is_request_ = false;
    m.status_code_ = static_cast<int>(*value);
    m.reason_ = sp2 == std::string_view::npos ? std::string_view{} : rest.substr(sp2 + 1);
    return {};
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (exactly one SP each, RFC 4475 §3.1.2.11)
  const size_t sp2 = line.rfind(' ');
  if (sp2 == sp1) return std::unexpected(ParseError::kBadStartLine);
  if (!is_token(first)) return std::unexpected(ParseError::kBadMethod);
  const std::string_view version = line.substr(sp2 + 1);
  if (!iequals(version, kVersion)) return std::unexpected(ParseError::kBadVersion);
  const std::string_view uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (uri.empty() || uri.front() == ' ' || uri.back() == ' ') {
    return std::unexpected(ParseError::kBadStartLine);
  }
  if (!is_absolute_uri(uri)) return std::unexpected(ParseError::kBadRequestUri);
  m.is_request_ = true;
  m.method_text_ = first;
  m.method_ = method_from_text(first);
  m.request_uri_ = uri;
  return {};
}

std::expected<Message, ParseError> MessageParser::parse(std::string bytes, const Limits& limits,
                                                        Framing framing) {
  if (bytes.size() > limits.max_message) return std::unexpected(ParseError::kMessageTooLarge);
  Message m;
  m.buffer_ = std::make_shared<const std::string>(std::move(bytes));
  const std::string_view all(*m.buffer_);
  const size_t begin = skip_keepalive_crlf(all);
  if (begin == all.size()) return std::unexpected(ParseError::kEmpty);
  m.begin_ = begin;

  const auto first = read_line(all, begin);
  if (!first) return std::unexpected(ParseError::kNoHeaderEnd);
  if (auto ok = parse_start_line(m, all.substr(first->begin, first->end - first->begin)); !ok) {
    return std::unexpected(ok.error());
  }

  // Header fields. A line starting with SP/HTAB continues the previous field (folding).
  size_t pos = first->next;
  size_t body_begin = std::string_view::npos;
  size_t field_begin = 0;
  size_t field_end = 0;
  size_t vias = 0;
  bool open_field = false;
  auto close_field = [&]() -> std::expected<void, ParseError> {
    open_field = false;
    const std::string_view field = all.substr(field_begin, field_end - field_begin);
    if (field.size() > limits.max_header_line)
      return std::unexpected(ParseError::kHeaderLineTooLong);
    if (!valid_field_bytes(field)) return std::unexpected(ParseError::kInvalidCharacter);
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos) return std::unexpected(ParseError::kBadHeaderLine);
    std::string_view name = field.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (!is_token(name)) return std::unexpected(ParseError::kBadHeaderLine);
    if (m.headers_.size() >= limits.max_headers)
      return std::unexpected(ParseError::kTooManyHeaders);
    HeaderField h{header_id(name), name, trim_lws(field.substr(colon + 1))};
    if (h.id == HeaderId::kVia) {
      // Count values now so a Via bomb is refused before anyone parses it.
      const auto items = split_list(h.value);
      vias += items ? items->size() : 1;
      if (vias > limits.max_vias) return std::unexpected(ParseError::kTooManyVias);
    }
    m.headers_.push_back(h);
    return {};
  };
  while (true) {
    const auto line = read_line(all, pos);
    if (!line) {
      return std::unexpected(all.size() - pos > limits.max_header_line && open_field
                                 ? ParseError::kHeaderLineTooLong
                                 : ParseError::kNoHeaderEnd);
    }
    const std::string_view text = all.substr(line->begin, line->end - line->begin);
    if (text.find('\r') != std::string_view::npos)
      return std::unexpected(ParseError::kInvalidCharacter);
    if (text.empty()) {
      if (open_field) {
        if (auto ok = close_field(); !ok) return std::unexpected(ok.error());
      }
      body_begin = line->next;
      break;
    }
    if (text[0] == ' ' || text[0] == '\t') {
      if (!open_field) return std::unexpected(ParseError::kBadHeaderLine);
      field_end = line->end;
      if (field_end - field_begin > limits.max_header_line) {
        return std::unexpected(ParseError::kHeaderLineTooLong);
      }
    } else {
      if (open_field) {
        if (auto ok = close_field(); !ok) return std::unexpected(ok.error());
      }
      open_field = true;
      field_begin = line->begin;
      field_end = line->end;
    }
    pos = line->next;
  }

  // Body, delimited by Content-Length (all its occurrences must agree).
  std::optional<uint64_t> content_length;
  for (const auto& h : m.headers_) {
    if (h.id != HeaderId::kContentLength) continue;
    const auto v = parse_decimal(h.value, 10);
    if (!v) return std::unexpected(ParseError::kBadContentLength);
    if (content_length && *content_length != *v)
      return std::unexpected(ParseError::kDuplicateHeader);
    content_length = v;
  }
  const size_t available = all.size() - body_begin;
  size_t body_size = available;
  if (content_length) {
    if (*content_length > limits.max_body) return std::unexpected(ParseError::kBodyTooLarge);
    if (*content_length > available) return std::unexpected(ParseError::kBodyTruncated);
    body_size = static_cast<size_t>(*content_length);
  } else if (framing == Framing::kStream) {
    return std::unexpected(ParseError::kMissingHeader);
  } else if (body_size > limits.max_body) {
    return std::unexpected(ParseError::kBodyTooLarge);
  }
  m.body_ = all.substr(body_begin, body_size);
  m.size_ = body_begin + body_size - begin;
  return m;
}

std::expected<Message, ParseError> Message::parse(std::string bytes, const Limits& limits,
                                                  Framing framing) {
  return MessageParser::parse(std::move(bytes), limits, framing);
}

std::expected<size_t, ParseError> stream_frame_length(std::string_view buffer,
                                                      const Limits& limits) {
  const size_t begin = skip_keepalive_crlf(buffer);
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
