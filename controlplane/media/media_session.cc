#include "controlplane/media/media_session.h"

#include <algorithm>
#include <utility>

#include "controlplane/sip/sdp_crypto.h"

namespace sbc::cp {

std::expected<MediaSession, MediaOpenError> MediaSession::open(uint64_t id,
                                                               MediaPortAllocator& ports,
                                                               const api::PortInfo& caller,
                                                               const api::PortInfo& callee) {
  MediaSession session(id);
  const api::PortInfo* info[2] = {&caller, &callee};
  for (Side side : {kCaller, kCallee}) {
    auto lease = PortLease::allocate(ports, info[side]->index);
    if (!lease) return std::unexpected(MediaOpenError{side, lease.error()});
    MediaLeg& leg = session.legs_[side];
    leg.dataplane_port = info[side]->index;
    leg.local = info[side]->address;
    leg.local_port = lease->rtp_port();
    session.leases_[side] = std::move(*lease);
  }
  return session;
}

std::expected<void, MediaOpenError> MediaSession::claim_ports(MediaPortAllocator& ports) {
  std::array<PortLease, 2> claimed;
  for (Side side : {kCaller, kCallee}) {
    const MediaLeg& leg = legs_[side];
    if (leg.local_port == 0) continue;
    auto lease = PortLease::claim(ports, leg.dataplane_port, leg.local_port);
    if (!lease) return std::unexpected(MediaOpenError{side, lease.error()});
    claimed[side] = std::move(*lease);
  }
  leases_ = std::move(claimed);
  return {};
}

void MediaSession::set_remote(Side side, const AudioEndpoint& audio) {
  MediaLeg& leg = legs_[side];
  leg.remote = audio.address;
  leg.remote_port = audio.port;
  leg.remote_rtcp_port = audio.rtcp_port;
}

std::expected<std::string, sip::SdpError> MediaSession::anchor(Side toward, const SdpBody& sdp,
                                                               const AudioEndpoint& audio) {
  return anchor_sdp(sdp, audio.media_index, next_anchor(toward));
}

SdpAnchor MediaSession::next_anchor(Side toward) {
  MediaLeg& leg = legs_[toward];
  SdpAnchor anchor;
  anchor.local = leg.local;
  anchor.local_port = leg.local_port;
  anchor.session_id = id_;
  anchor.version = ++leg.sdp_version;
  anchor.profile = leg.profile;
  return anchor;
}

void MediaSession::set_caller_media(CallerMedia caller) {
  legs_[kCaller].profile = caller_answer_profile(caller);
  legs_[kCaller].srtp = std::move(caller.srtp);
}

void MediaSession::set_callee_offer(CalleeOffer offer) {
  legs_[kCallee].profile = callee_offer_profile(offer);
  callee_offer_ = std::move(offer);
}

namespace {

// The formats of `codecs` on a stream of `source` (the description rewritten toward a side),
// or nothing to change when they are the ones it already lists.
void set_formats(StreamProfile& profile, const StreamCodecs& codecs, const sip::SdpMedia& source) {
  std::vector<std::string> list = format_list(codecs);
  if (std::ranges::equal(list, source.formats)) {
    profile.formats.reset();
    profile.format_attributes.clear();
    return;
  }
  profile.format_attributes = format_attributes(codecs, &source);
  profile.formats = std::move(list);
}

}  // namespace

void MediaSession::set_codec_offer(CodecOffer codecs, const sip::SdpMedia& offer) {
  set_formats(legs_[kCallee].profile, codecs.callee, offer);
  codec_offer_ = std::move(codecs);
}

std::expected<void, MediaRefusal> MediaSession::accept_callee_answer(const sip::SdpMedia& answer) {
  auto srtp = accept_answer(answer, callee_offer_);
  if (!srtp) return std::unexpected(srtp.error());
  if (codec_offer_) {
    auto choice = choose_codecs(codec_offer_->caller, codec_offer_->callee, read_codecs(answer));
    if (!choice) return std::unexpected(choice.error());
    legs_[kCaller].codec = choice->caller_leg;
    legs_[kCallee].codec = choice->callee_leg;
    transcoded_ = choice->transcoded;
    set_formats(legs_[kCaller].profile, choice->caller_answer, answer);
  }
  legs_[kCallee].srtp = std::move(*srtp);
  return {};
}

std::expected<std::optional<SrtpLeg>, MediaRefusal> MediaSession::check_update(
    Side side, const sip::SdpMedia& media) const {
  const MediaLeg& leg = legs_[side];
  if (const auto types = media.payload_types();
      leg.codec && std::ranges::find(types, leg.codec->payload_type) == types.end()) {
    return std::unexpected(MediaRefusal::kAnswerCodecMismatch);
  }
  const bool sdes = profile_kind(media.proto) == RtpProfileKind::kSdes;
  if (!leg.srtp) {
    if (sdes) return std::unexpected(MediaRefusal::kProfileNotAllowed);
    return std::optional<SrtpLeg>{};
  }
  if (!sdes) return std::unexpected(MediaRefusal::kProfileNotAllowed);
  bool any = false;
  bool malformed = false;
  for (const sip::SdpAttribute& attribute : media.attributes) {
    if (attribute.name != "crypto") continue;
    any = true;
    auto crypto = sip::parse_crypto(attribute.value);
    if (!crypto) {
      malformed = true;
      continue;
    }
    if (crypto->suite != leg.srtp->suite || crypto->keys.size() != 1 || crypto->keys[0].mki ||
        sip::first_unsupported_param(*crypto)) {
      continue;
    }
    SrtpLeg next = *leg.srtp;
    next.tag = crypto->tag;
    next.peer_key = crypto->keys[0].key;
    return next;
  }
  if (!any) return std::unexpected(MediaRefusal::kCryptoMissing);
  return std::unexpected(malformed ? MediaRefusal::kCryptoMalformed
                                   : MediaRefusal::kCryptoUnsupported);
}

void MediaSession::move_leg(Side side, PortLease& lease, uint8_t dataplane_port,
                            api::Address local) {
  MediaLeg& leg = legs_[side];
  leg.dataplane_port = dataplane_port;
  leg.local = local;
  leg.local_port = lease.rtp_port();
  std::swap(leases_[side], lease);
}

void MediaSession::apply_update(Side side, const AudioEndpoint* audio,
                                std::optional<SrtpLeg> srtp) {
  if (audio != nullptr) set_remote(side, *audio);
  if (srtp) legs_[side].srtp = std::move(srtp);
}

std::expected<std::string, sip::SdpError> MediaSession::anchor_update(Side toward,
                                                                      const SdpBody& sdp,
                                                                      const AudioEndpoint& audio,
                                                                      bool no_media) {
  const MediaLeg& leg = legs_[toward];
  return anchor_at(toward, sdp, audio, no_media ? api::Address::ipv4(0) : leg.local,
                   leg.local_port);
}

std::expected<std::string, sip::SdpError> MediaSession::anchor_at(Side toward, const SdpBody& sdp,
                                                                  const AudioEndpoint& audio,
                                                                  api::Address local,
                                                                  uint16_t local_port) {
  const MediaLeg& leg = legs_[toward];
  SdpAnchor anchor = next_anchor(toward);
  anchor.local = local;
  anchor.local_port = local_port;
  if (leg.srtp) {
    sip::CryptoAttribute ours;
    ours.tag = leg.srtp->tag;
    ours.suite = leg.srtp->suite;
    ours.keys.push_back(sip::SdesKeyParam{leg.srtp->our_key, std::nullopt, std::nullopt});
    anchor.profile.crypto = std::vector<std::string>{sip::format_crypto(ours)};
  }
  return anchor_sdp(sdp, audio.media_index, anchor);
}

namespace {

api::SrtpSuite wire_suite(sip::SdesSuite suite) {
  switch (suite) {
    case sip::SdesSuite::kAesCm128HmacSha1_80: return api::SrtpSuite::kAesCm128HmacSha1_80;
    case sip::SdesSuite::kAesCm128HmacSha1_32: return api::SrtpSuite::kAesCm128HmacSha1_32;
    case sip::SdesSuite::kAeadAes128Gcm: return api::SrtpSuite::kAeadAes128Gcm;
    case sip::SdesSuite::kAeadAes256Gcm: return api::SrtpSuite::kAeadAes256Gcm;
  }
  return api::SrtpSuite::kAesCm128HmacSha1_80;
}

// One direction's SRTP for the dataplane; an empty key (not known: a call adopted after a
// restart) asks the dataplane to keep the context it has.
api::SrtpParams srtp_params(const SrtpLeg& srtp, const sip::SdesKey& key, uint32_t window) {
  api::SrtpParams p;
  p.suite = wire_suite(srtp.suite);
  p.key = api::SrtpKey::from_bytes(key.bytes());
  p.replay_window = window;
  return p;
}

}  // namespace

api::SessionAdd MediaSession::spec(const MediaConfig& config, bool answered,
                                   const std::array<api::Address, 2>& sources) const {
  api::SessionAdd add;
  add.session_id = id_;
  // The 2xx re-programs the session with the timeout (an upsert restarts the idle baseline).
  add.media_timeout_ms = answered && !on_hold() ? config.timeout_s * 1000 : 0;
  add.latch_window_ms = config.latch_window_ms;
  add.max_packet_rate = config.max_packet_rate;
  for (Side side : {kCaller, kCallee}) {
    const MediaLeg& leg = legs_[side];
    api::LegSpec& spec = add.legs[side];
    spec.port = leg.dataplane_port;
    spec.local = leg.local;
    spec.local_rtp_port = leg.local_port;
    spec.remote = leg.remote;
    spec.remote_rtp_port = leg.remote_port;
    spec.remote_rtcp_port = leg.remote_rtcp_port;
    spec.signalling_source = sources[side];
    spec.codec = leg.codec;
    spec.forward_rtp = forward_rtp_[side];
    if (leg.srtp) {
      spec.srtp_in = srtp_params(*leg.srtp, leg.srtp->peer_key, leg.srtp->replay_window);
      spec.srtp_out = srtp_params(*leg.srtp, leg.srtp->our_key, 0);
    }
  }
  return add;
}

size_t MediaSession::leased() const {
  return static_cast<size_t>(leases_[0].held()) + static_cast<size_t>(leases_[1].held());
}

void MediaSession::release_ports() {
  for (Side side : {kCaller, kCallee}) {
    leases_[side].reset();
    legs_[side].local_port = 0;
  }
}

MediaSession::Retired MediaSession::retire() {
  Retired retired{id_, std::exchange(programmed_, false), std::move(leases_)};
  leases_ = {};
  for (MediaLeg& leg : legs_) leg.local_port = 0;
  return retired;
}

}  // namespace sbc::cp
