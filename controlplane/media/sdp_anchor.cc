#include "controlplane/media/sdp_anchor.h"

namespace sbc::cp {

std::string_view to_string(AudioRefusal refusal) {
  switch (refusal) {
    case AudioRefusal::kNoAudio: return "no audio stream";
    case AudioRefusal::kNotIpv4: return "no IPv4 audio stream";
  }
  return "unknown";
}

std::expected<AudioEndpoint, AudioRefusal> anchorable_audio(const sip::SessionDescription& sdp) {
  auto audio = sip::first_audio_endpoint(sdp);
  if (!audio) return std::unexpected(AudioRefusal::kNoAudio);
  AudioEndpoint endpoint;
  endpoint.media_index = audio->media_index;
  endpoint.address = api::Address::parse(audio->address);
  if (endpoint.address.family != api::AddressFamily::kIpv4) {
    return std::unexpected(AudioRefusal::kNotIpv4);
  }
  endpoint.port = audio->port;
  endpoint.rtcp_port = sdp.media[audio->media_index].rtcp_port.value_or(0);
  return endpoint;
}

std::expected<std::string, sip::SdpError> anchor_sdp(const SdpBody& body, size_t audio_index,
                                                     const SdpAnchor& anchor) {
  const sip::SessionDescription& sdp = body.description();
  sip::SdpRewrite rewrite;
  rewrite.address = anchor.local.to_string();
  for (size_t i = 0; i < sdp.media.size(); ++i) {
    sip::MediaRewrite m;
    if (i == audio_index) {
      m.port = anchor.local_port;
      if (sdp.media[i].rtcp_port) m.rtcp_port = static_cast<uint16_t>(anchor.local_port + 1);
      m.proto = anchor.profile.proto;
      m.crypto = anchor.profile.crypto;
      m.formats = anchor.profile.formats;
      m.format_attributes = anchor.profile.format_attributes;
    } else {
      m.crypto.emplace();  // a disabled stream's keys are the other side's: never passed on
    }
    rewrite.media.push_back(m);
  }
  rewrite.origin_username = "sbc";
  rewrite.origin_session_id = std::to_string(anchor.session_id);
  rewrite.origin_version = anchor.version;
  rewrite.strip_identity = true;
  return sip::rewrite_sdp(sdp, body.text(), rewrite);
}

}  // namespace sbc::cp
