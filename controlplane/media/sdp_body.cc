#include "controlplane/media/sdp_body.h"

#include <fmt/core.h>

namespace sbc::cp {

std::expected<SdpBody, sip::SdpError> SdpBody::parse(std::string_view text) {
  auto parsed = std::make_shared<Parsed>();
  parsed->text = std::string(text);
  auto sdp = sip::parse_sdp(parsed->text);
  if (!sdp) return std::unexpected(sdp.error());
  parsed->sdp = std::move(*sdp);
  return SdpBody(std::move(parsed));
}

std::string SdpBody::origin() const {
  const sip::SdpOrigin& o = description().origin;
  return fmt::format("{} {} {}", o.username, o.session_id, o.session_version);
}

}  // namespace sbc::cp
