// Media-anchoring rewrite of an SDP body: only the lines that carry addresses, ports or ICE state
// change; every other byte is copied.
#include <array>
#include <string>

#include "controlplane/sip/sdp.h"
#include "controlplane/sip/sdp_lines.h"

namespace sbc::cp::sip {
namespace {

using sdp_detail::next_field;
using sdp_detail::next_line;
using sdp_detail::SdpLine;

// ICE state is meaningless once media is anchored at the SBC (RFC 8445 attributes).
constexpr std::array<std::string_view, 8> kIceAttributes{
    "candidate",   "remote-candidates", "ice-ufrag",    "ice-pwd",
    "ice-options", "ice-lite",          "ice-mismatch", "end-of-candidates",
};

std::string_view attribute_name(std::string_view value) {
  return value.substr(0, value.find(':'));
}

bool is_ice(std::string_view name) {
  for (std::string_view ice : kIceAttributes) {
    if (name == ice) return true;
  }
  return false;
}

void append_origin(std::string& out, std::string_view value, const SdpRewrite& rw) {
  const std::string_view username = next_field(value);
  const std::string_view session_id = next_field(value);
  const std::string_view version = next_field(value);
  const std::string_view net_type = next_field(value);
  out += "o=";
  out += rw.origin_username ? std::string_view(*rw.origin_username) : username;
  out += ' ';
  out += rw.origin_session_id ? std::string_view(*rw.origin_session_id) : session_id;
  out += ' ';
  if (rw.origin_version) {
    out += std::to_string(*rw.origin_version);
  } else {
    out += version;
  }
  out += ' ';
  out += net_type;
  out += ' ';
  out += rw.addr_type;
  out += ' ';
  out += rw.address;
}

// m=<media> <port>[/<count>] <rest>: only the port digits change.
void append_media(std::string& out, std::string_view value, uint16_t port) {
  std::string_view rest = value;
  next_field(rest);  // media type, copied below as part of the prefix
  const std::string_view port_field = next_field(rest);
  const size_t slash = port_field.find('/');
  out += "m=";
  out.append(value.data(), static_cast<size_t>(port_field.data() - value.data()));
  out += std::to_string(port);
  if (slash != std::string_view::npos) out += port_field.substr(slash);
  out += rest;
}

}  // namespace

std::expected<std::string, SdpError> rewrite_sdp(std::string_view text, const SdpRewrite& rw) {
  auto sdp = parse_sdp(text);
  if (!sdp) return std::unexpected(sdp.error());
  return rewrite_sdp(*sdp, text, rw);
}

std::expected<std::string, SdpError> rewrite_sdp(const SessionDescription& parsed,
                                                 std::string_view text, const SdpRewrite& rw) {
  const SessionDescription* sdp = &parsed;
  if (rw.media.size() != sdp->media.size()) return std::unexpected(SdpError::kRewriteMismatch);

  std::string out;
  out.reserve(text.size() + 64);
  size_t pos = 0;
  SdpLine line;
  long media_index = -1;
  while (next_line(text, pos, line)) {
    if (rw.strip_identity) {
      if (line.type == 'i' || line.type == 'u' || line.type == 'e' || line.type == 'p') continue;
      if (line.type == 's') {
        out += "s=-";
        out += line.terminator;
        continue;
      }
      if (line.type == 'a' && attribute_name(line.value) == "tool") continue;
    }
    switch (line.type) {
      case 'o':
        if (media_index < 0) {
          append_origin(out, line.value, rw);
          out += line.terminator;
          continue;
        }
        break;
      case 'c':
        out += "c=IN ";
        out += rw.addr_type;
        out += ' ';
        out += rw.address;
        out += line.terminator;
        continue;
      case 'm': {
        ++media_index;
        const auto i = static_cast<size_t>(media_index);
        // A rejected stream (port 0) stays rejected.
        append_media(out, line.value, sdp->media[i].port == 0 ? 0 : rw.media[i].port);
        out += line.terminator;
        continue;
      }
      case 'a': {
        const std::string_view name = attribute_name(line.value);
        if (is_ice(name)) continue;
        if (name == "rtcp") {
          const MediaRewrite* m =
              media_index >= 0 ? &rw.media[static_cast<size_t>(media_index)] : nullptr;
          if (m != nullptr && m->rtcp_port && sdp->media[static_cast<size_t>(media_index)].port) {
            out += "a=rtcp:";
            out += std::to_string(*m->rtcp_port);
            out += " IN ";
            out += rw.addr_type;
            out += ' ';
            out += rw.address;
            out += line.terminator;
          }
          continue;
        }
        break;
      }
      default: break;
    }
    out += line.content;
    out += line.terminator;
  }
  return out;
}

}  // namespace sbc::cp::sip
