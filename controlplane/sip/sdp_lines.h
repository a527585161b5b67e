// Internal: iteration over SDP lines keeping each line's own terminator (not public API).
#pragma once

#include <cstddef>
#include <string_view>

namespace sbc::cp::sip::sdp_detail {

struct SdpLine {
  char type = '\0';             // the letter before '='
  std::string_view value;       // text after "x="
  std::string_view content;     // the whole line without terminator
  std::string_view terminator;  // "\r\n", "\n" or "" (last line without one)
};

// Reads the next line from text starting at pos; advances pos. False at the end.
inline bool next_line(std::string_view text, size_t& pos, SdpLine& line) {
  if (pos >= text.size()) return false;
  const size_t nl = text.find('\n', pos);
  const size_t end = nl == std::string_view::npos ? text.size() : nl;
  size_t content_end = end;
  if (content_end > pos && text[content_end - 1] == '\r') --content_end;
  line.content = text.substr(pos, content_end - pos);
  line.terminator =
      text.substr(content_end, (nl == std::string_view::npos ? end : nl + 1) - content_end);
  line.type = line.content.size() >= 2 && line.content[1] == '=' ? line.content[0] : '\0';
  line.value = line.content.size() >= 2 ? line.content.substr(2) : std::string_view{};
  pos = nl == std::string_view::npos ? text.size() : nl + 1;
  return true;
}

// Splits off the next space-separated field of s (multiple spaces tolerated).
inline std::string_view next_field(std::string_view& s) {
  size_t b = 0;
  while (b < s.size() && s[b] == ' ') ++b;
  size_t e = b;
  while (e < s.size() && s[e] != ' ') ++e;
  const std::string_view field = s.substr(b, e - b);
  s = s.substr(e);
  return field;
}

}  // namespace sbc::cp::sip::sdp_detail
