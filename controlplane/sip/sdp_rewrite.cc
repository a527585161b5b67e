// Media-anchoring rewrite of an SDP body: only the lines that carry addresses, ports or ICE state
// change; every other byte is copied.
#include <array>
#include <optional>
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

// m=<media> <port>[/<count>] <proto> <formats>: the port digits change, the protocol when
// `proto` is set and the formats when `formats` is.
void append_media(std::string& out, std::string_view value, uint16_t port,
                  const std::optional<std::string>& proto,
                  const std::optional<std::vector<std::string>>& formats_to) {
  std::string_view rest = value;
  next_field(rest);  // media type, copied below as part of the prefix
  const std::string_view port_field = next_field(rest);
  const size_t slash = port_field.find('/');
  out += "m=";
  out.append(value.data(), static_cast<size_t>(port_field.data() - value.data()));
  out += std::to_string(port);
  if (slash != std::string_view::npos) out += port_field.substr(slash);
  std::string_view formats = rest;
  const std::string_view protocol = next_field(formats);  // `formats` keeps its leading space
  out += ' ';
  out += proto ? std::string_view(*proto) : protocol;
  if (!formats_to) {
    out += formats;
    return;
  }
  for (const std::string& format : *formats_to) {
    out += ' ';
    out += format;
  }
}

// Writes the rewritten text a line at a time; media_index_ follows the m= sections (-1: the
// session part).
class SdpRewriter {
 public:
  SdpRewriter(const SessionDescription& sdp, const SdpRewrite& rw) : sdp_(sdp), rw_(rw) {}

  std::string rewrite(std::string_view text) {
    out_.reserve(text.size() + 64);
    size_t pos = 0;
    SdpLine line;
    while (next_line(text, pos, line)) {
      terminator_ = line.terminator.empty() ? terminator_ : line.terminator;
      if (line.type == 'm') append_section_end();  // the previous stream's, before the next m=
      if (rw_.strip_identity && strip_identity(line)) continue;
      if (rewrite_line(line)) continue;
      out_ += line.content;
      out_ += line.terminator;
    }
    append_section_end();
    return std::move(out_);
  }

 private:
  // s= becomes "-"; i=, u=, e=, p=, a=tool and the source attributes (a=ssrc, a=ssrc-group,
  // RFC 5576: their cname is often user@host, e.g. baresip's "sip:user@10.0.0.5") are dropped.
  // True when the line is done with.
  bool strip_identity(const SdpLine& line) {
    if (line.type == 'i' || line.type == 'u' || line.type == 'e' || line.type == 'p') return true;
    if (line.type == 's') {
      out_ += "s=-";
      out_ += line.terminator;
      return true;
    }
    if (line.type != 'a') return false;
    const std::string_view name = attribute_name(line.value);
    return name == "tool" || name == "ssrc" || name == "ssrc-group";
  }

  // The lines anchoring changes: the session's o=, every c=, the m= ports, a=rtcp and the ICE
  // attributes. True when the line is done with (written or dropped).
  bool rewrite_line(const SdpLine& line) {
    switch (line.type) {
      case 'o':
        if (media_index_ >= 0) return false;
        append_origin(out_, line.value, rw_);
        break;
      case 'c':
        out_ += "c=IN ";
        out_ += rw_.addr_type;
        out_ += ' ';
        out_ += rw_.address;
        break;
      case 'm': {
        ++media_index_;
        const auto i = static_cast<size_t>(media_index_);
        // A rejected stream (port 0) stays rejected.
        append_media(out_, line.value, sdp_.media[i].port == 0 ? 0 : rw_.media[i].port,
                     rw_.media[i].proto,
                     sdp_.media[i].port == 0 ? std::nullopt : rw_.media[i].formats);
        break;
      }
      case 'a': return rewrite_attribute(line);
      default: return false;
    }
    out_ += line.terminator;
    return true;
  }

  // ICE attributes are dropped; a=rtcp names the new port, or is dropped (no new RTCP port, a
  // rejected stream, or before the first m=).
  bool rewrite_attribute(const SdpLine& line) {
    const std::string_view name = attribute_name(line.value);
    if (is_ice(name)) return true;
    if (name == "crypto") return media_index_ >= 0 && current().crypto.has_value();
    if (name == "rtpmap" || name == "fmtp") return replaces_formats();
    if (name != "rtcp") return false;
    const MediaRewrite* m =
        media_index_ >= 0 ? &rw_.media[static_cast<size_t>(media_index_)] : nullptr;
    if (m != nullptr && m->rtcp_port && sdp_.media[static_cast<size_t>(media_index_)].port) {
      out_ += "a=rtcp:";
      out_ += std::to_string(*m->rtcp_port);
      out_ += " IN ";
      out_ += rw_.addr_type;
      out_ += ' ';
      out_ += rw_.address;
      out_ += line.terminator;
    }
    return true;
  }

  const MediaRewrite& current() const { return rw_.media[static_cast<size_t>(media_index_)]; }

  // A live stream whose formats are replaced (a rejected one keeps its lines as they are).
  bool replaces_formats() const {
    return media_index_ >= 0 && current().formats.has_value() &&
           sdp_.media[static_cast<size_t>(media_index_)].port != 0;
  }

  // The a=rtpmap/a=fmtp and a=crypto lines replacing the current stream's, at the end of its
  // section (RFC 8866 puts attributes last); none for a rejected stream.
  void append_section_end() {
    if (media_index_ < 0 || sdp_.media[static_cast<size_t>(media_index_)].port == 0) return;
    if (replaces_formats()) append_attributes("a=", current().format_attributes);
    if (current().crypto) append_attributes("a=crypto:", *current().crypto);
  }

  void append_attributes(std::string_view prefix, const std::vector<std::string>& values) {
    if (values.empty()) return;
    if (!out_.empty() && out_.back() != '\n') out_ += terminator_;  // a last line without one
    for (const std::string& value : values) {
      out_ += prefix;
      out_ += value;
      out_ += terminator_;
    }
  }

  const SessionDescription& sdp_;
  const SdpRewrite& rw_;
  std::string out_;
  long media_index_ = -1;
  std::string_view terminator_ = "\r\n";
};

}  // namespace

std::expected<std::string, SdpError> rewrite_sdp(std::string_view text, const SdpRewrite& rw) {
  auto sdp = parse_sdp(text);
  if (!sdp) return std::unexpected(sdp.error());
  return rewrite_sdp(*sdp, text, rw);
}

std::expected<std::string, SdpError> rewrite_sdp(const SessionDescription& parsed,
                                                 std::string_view text, const SdpRewrite& rw) {
  if (rw.media.size() != parsed.media.size()) return std::unexpected(SdpError::kRewriteMismatch);
  return SdpRewriter(parsed, rw).rewrite(text);
}

}  // namespace sbc::cp::sip
