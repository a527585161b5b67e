// libFuzzer target: the SDP parser and the media-anchoring rewrite on arbitrary text. Checks that
// the rewrite of any description the parser accepts parses again with the promised changes (new
// address everywhere, new ports, no ICE lines) and that rewriting is idempotent.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "controlplane/sip/sdp.h"
#include "tests/fuzz/fuzz_check.h"

namespace sbc::fuzz {
namespace {

namespace sip = sbc::cp::sip;

constexpr uint16_t kFirstPort = 40000;

// The anchoring rewrite sbcd applies: one entry per m= line, RTCP port given for every other one
// (the rest have their a=rtcp removed).
sip::SdpRewrite rewrite_spec(size_t media_count, bool ipv6) {
  sip::SdpRewrite rw;
  rw.address = ipv6 ? "2001:db8::7" : "203.0.113.7";
  rw.addr_type = ipv6 ? "IP6" : "IP4";
  for (size_t i = 0; i < media_count; ++i) {
    sip::MediaRewrite m;
    m.port = static_cast<uint16_t>(kFirstPort + 2 * i);
    if (i % 2 == 0) m.rtcp_port = static_cast<uint16_t>(m.port + 1);
    rw.media.push_back(m);
  }
  rw.origin_username = "sbc";
  rw.origin_session_id = "4242";
  rw.origin_version = 7;
  rw.strip_identity = ipv6;
  return rw;
}

bool is_ice(std::string_view name) {
  for (std::string_view ice : {"candidate", "remote-candidates", "ice-ufrag", "ice-pwd",
                               "ice-options", "ice-lite", "ice-mismatch", "end-of-candidates"}) {
    if (name == ice) return true;
  }
  return false;
}

void touch_all(const sip::SessionDescription& sdp) {
  touch(sdp.origin.username);
  touch(sdp.origin.address);
  touch(sdp.session_name);
  for (const auto& a : sdp.attributes) touch(a.value);
  for (size_t i = 0; i < sdp.media.size(); ++i) {
    const sip::SdpMedia& m = sdp.media[i];
    touch(m.type);
    touch(m.proto);
    for (std::string_view f : m.formats) touch(f);
    for (const auto& a : m.attributes) touch(a.value);
    for (const auto& r : m.rtpmaps) touch(r.encoding);
    for (const auto& f : m.fmtps) touch(f.parameters);
    for (uint8_t pt : m.payload_types()) {
      if (const sip::RtpMap* map = m.rtpmap(pt)) check(map->payload_type == pt, "wrong rtpmap");
      touch(m.codec_name(pt));
    }
    const sip::SdpConnection* c = sdp.media_connection(i);
    check(m.port == 0 || c != nullptr, "accepted a stream without a connection");
    if (c != nullptr) touch(c->address);
    (void)sdp.media_direction(i);
  }
  if (auto ep = sip::first_audio_endpoint(sdp)) {
    check(ep->media_index < sdp.media.size() && ep->port != 0, "bad first audio endpoint");
    touch(ep->address);
  }
}

// What the rewrite promises about its output, checked on the parsed result.
void check_rewritten(const sip::SessionDescription& before, std::string_view text,
                     const sip::SdpRewrite& rw) {
  auto after = sip::parse_sdp(text);
  if (!after && after.error() == sip::SdpError::kTooLarge) return;  // the new address is longer
  check(after.has_value(), "rewritten SDP does not parse");
  check(after->media.size() == before.media.size(), "rewrite changed the media count");
  check(after->origin.address == rw.address && after->origin.addr_type == rw.addr_type,
        "o= address not rewritten");
  check(after->origin.username == *rw.origin_username, "o= username not rewritten");
  check(after->origin.session_version == *rw.origin_version, "o= version not rewritten");
  if (after->connection) check(after->connection->address == rw.address, "c= not rewritten");
  if (rw.strip_identity) check(after->session_name == "-", "s= not stripped");
  for (const auto& a : after->attributes) check(!is_ice(a.name), "session ICE line kept");
  for (size_t i = 0; i < after->media.size(); ++i) {
    const sip::SdpMedia& m = after->media[i];
    check(m.port == (before.media[i].port == 0 ? 0 : rw.media[i].port), "m= port not rewritten");
    if (m.connection) check(m.connection->address == rw.address, "media c= not rewritten");
    if (m.rtcp_port) check(m.rtcp_port == rw.media[i].rtcp_port, "a=rtcp not rewritten");
    for (const auto& a : m.attributes) check(!is_ice(a.name), "media ICE line kept");
  }
  auto twice = sip::rewrite_sdp(text, rw);
  check(twice.has_value() && *twice == text, "rewrite is not idempotent");
}

}  // namespace
}  // namespace sbc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace sip = sbc::cp::sip;
  using sbc::fuzz::check;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sdp = sip::parse_sdp(text);
  if (!sdp) {
    sbc::fuzz::touch(sip::to_string(sdp.error()));
    auto rewritten = sip::rewrite_sdp(text, sbc::fuzz::rewrite_spec(0, false));
    check(!rewritten && rewritten.error() == sdp.error(), "rewrite accepted what parse rejects");
    return 0;
  }
  check(sdp->media.size() <= sip::kMaxSdpMedia, "media limit exceeded");
  sbc::fuzz::touch_all(*sdp);
  for (bool ipv6 : {false, true}) {
    const auto rw = sbc::fuzz::rewrite_spec(sdp->media.size(), ipv6);
    auto rewritten = sip::rewrite_sdp(text, rw);
    check(rewritten.has_value(), "rewrite rejected an accepted description");
    sbc::fuzz::check_rewritten(*sdp, *rewritten, rw);
  }
  auto mismatch = sip::rewrite_sdp(text, sbc::fuzz::rewrite_spec(sdp->media.size() + 1, false));
  check(!mismatch && mismatch.error() == sip::SdpError::kRewriteMismatch, "mismatch accepted");
  return 0;
}
