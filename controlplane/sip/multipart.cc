#include "controlplane/sip/multipart.h"

#include <algorithm>
#include <string>

#include "controlplane/sip/lexer.h"

namespace sbc::cp::sip {
namespace {

constexpr int kMaxNesting = 3;

// bchars = bcharsnospace / " " (RFC 2046 §5.1.1); 1..70 characters, not ending in a space.
bool valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  for (char c : b) {
    if (lex::is_alnum(c)) continue;
    switch (c) {
      case '\'':
      case '(':
      case ')':
      case '+':
      case '_':
      case ',':
      case '-':
      case '.':
      case '/':
      case ':':
      case '=':
      case '?':
      case ' ': continue;
      default: return false;
    }
  }
  return true;
}

// Position of the line end (LF, or CRLF) at pos: the index after it, npos when pos is not one.
size_t skip_line_end(std::string_view s, size_t pos) {
  if (pos < s.size() && s[pos] == '\n') return pos + 1;
  if (pos + 1 < s.size() && s[pos] == '\r' && s[pos + 1] == '\n') return pos + 2;
  return std::string_view::npos;
}

struct Delimiter {
  size_t line_begin;  // where the line ending before "--boundary" starts (part content end)
  size_t after;       // first byte after "--boundary"
};

// Next "--boundary" at the start of a line, at or after from.
std::optional<Delimiter> next_delimiter(std::string_view body, const std::string& dash_boundary,
                                        size_t from) {
  size_t pos = from;
  while (true) {
    const size_t at = body.find(dash_boundary, pos);
    if (at == std::string_view::npos) return std::nullopt;
    if (at == 0 || body[at - 1] == '\n') {
      size_t line_begin = at;
      if (at > 0) {
        line_begin = at - 1;
        if (line_begin > 0 && body[line_begin - 1] == '\r') --line_begin;
      }
      return Delimiter{line_begin, at + dash_boundary.size()};
    }
    pos = at + 1;
  }
}

// MIME header section of one part: "name: value" lines with folding, then an empty line.
std::expected<BodyPart, ParseError> parse_part(std::string_view content) {
  BodyPart part;
  size_t pos = 0;
  while (true) {
    if (const size_t next = skip_line_end(content, pos); next != std::string_view::npos) {
      part.body = content.substr(next);  // the empty line: headers end
      return part;
    }
    if (pos >= content.size()) {
      // No empty line: a part without headers or body is tolerated only when empty.
      if (part.headers.empty() && content.empty()) return part;
      return std::unexpected(ParseError::kBadMultipart);
    }
    size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) return std::unexpected(ParseError::kBadMultipart);
    // Folded continuation lines belong to this field.
    while (end + 1 < content.size() && (content[end + 1] == ' ' || content[end + 1] == '\t')) {
      end = content.find('\n', end + 1);
      if (end == std::string_view::npos) return std::unexpected(ParseError::kBadMultipart);
    }
    const std::string_view field = content.substr(pos, end - pos);
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos) return std::unexpected(ParseError::kBadMultipart);
    const std::string_view name = trim_lws(field.substr(0, colon));
    if (!is_token(name)) return std::unexpected(ParseError::kBadMultipart);
    if (part.headers.size() >= kMaxPartHeaders) return std::unexpected(ParseError::kBadMultipart);
    part.headers.push_back({header_id(name), name, trim_lws(field.substr(colon + 1))});
    pos = end + 1;
  }
}

std::expected<std::optional<std::string_view>, ParseError> find_sdp_in(
    std::string_view body, const std::optional<MediaType>& type, int depth) {
  if (!type) return std::optional<std::string_view>{};
  if (type->is("application", "sdp")) return std::optional<std::string_view>(body);
  if (!iequals(type->type, "multipart") || depth >= kMaxNesting) {
    return std::optional<std::string_view>{};
  }
  auto parts = parse_multipart(body, type->param("boundary"));
  if (!parts) return std::unexpected(parts.error());
  for (const BodyPart& part : *parts) {
    auto part_type = part.content_type();
    if (!part_type) return std::unexpected(part_type.error());
    auto sdp = find_sdp_in(part.body, *part_type, depth + 1);
    if (!sdp || *sdp) return sdp;
  }
  return std::optional<std::string_view>{};
}

}  // namespace

const HeaderField* BodyPart::find(HeaderId id) const {
  for (const auto& h : headers) {
    if (h.id == id) return &h;
  }
  return nullptr;
}

std::expected<std::optional<MediaType>, ParseError> BodyPart::content_type() const {
  const HeaderField* h = find(HeaderId::kContentType);
  if (h == nullptr) return std::optional<MediaType>{};
  auto mt = parse_media_type(h->value);
  if (!mt) return std::unexpected(mt.error());
  return std::optional<MediaType>(std::move(*mt));
}

std::expected<std::vector<BodyPart>, ParseError> parse_multipart(std::string_view body,
                                                                 std::string_view boundary) {
  if (!valid_boundary(boundary)) return std::unexpected(ParseError::kBadMultipart);
  const std::string dash_boundary = "--" + std::string(boundary);
  auto delim = next_delimiter(body, dash_boundary, 0);
  if (!delim) return std::unexpected(ParseError::kBadMultipart);
  std::vector<BodyPart> parts;
  while (true) {
    size_t pos = delim->after;
    if (body.substr(pos, 2) == "--") {
      if (parts.empty()) return std::unexpected(ParseError::kBadMultipart);
      return parts;  // close-delimiter; the epilogue is ignored
    }
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;  // padding
    pos = skip_line_end(body, pos);
    if (pos == std::string_view::npos) return std::unexpected(ParseError::kBadMultipart);
    auto next = next_delimiter(body, dash_boundary, pos);
    if (!next) return std::unexpected(ParseError::kBadMultipart);  // no close-delimiter
    if (parts.size() >= kMaxBodyParts) return std::unexpected(ParseError::kTooManyParts);
    // An empty part's content ends where its opening delimiter's line end began.
    const size_t end = std::max(next->line_begin, pos);
    auto part = parse_part(body.substr(pos, end - pos));
    if (!part) return std::unexpected(part.error());
    parts.push_back(std::move(*part));
    delim = next;
  }
}

std::expected<std::optional<std::string_view>, ParseError> find_sdp(const Message& message) {
  auto type = message.content_type();
  if (!type) return std::unexpected(type.error());
  return find_sdp_in(message.body(), *type, 0);
}

}  // namespace sbc::cp::sip
