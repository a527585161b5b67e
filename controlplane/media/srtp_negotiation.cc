#include "controlplane/media/srtp_negotiation.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "api/control_protocol.h"

namespace sbc::cp {
namespace {

constexpr std::array<std::string_view, kMediaRefusalCount> kRefusalNames = {
    "profile_not_allowed",     "crypto_missing",         "crypto_malformed", "crypto_unsupported",
    "answer_profile_mismatch", "answer_crypto_mismatch", "key_generation",   "codec_not_allowed",
    "answer_codec_mismatch",   "transcoding_capacity",
};

// RFC 4568 WSH=<n> among the session parameters; 0 when absent (first_unsupported_param has
// already refused a value below 64).
uint32_t replay_window_of(const sip::CryptoAttribute& crypto) {
  for (const std::string& p : crypto.session_params) {
    if (!p.starts_with("WSH=")) continue;
    uint32_t window = 0;
    const char* first = p.data() + 4;
    std::from_chars(first, p.data() + p.size(), window);
    return std::min(window, api::kMaxSrtpReplayWindow);  // a larger hint gets the largest we run
  }
  return 0;
}

// Why one a=crypto line cannot be used, or nullopt when it can.
std::optional<MediaRefusal> unusable(const std::expected<sip::CryptoAttribute, sip::CryptoError>& c,
                                     const MediaPolicy& policy) {
  if (!c) {
    return c.error() == sip::CryptoError::kUnknownSuite ? MediaRefusal::kCryptoUnsupported
                                                        : MediaRefusal::kCryptoMalformed;
  }
  // One key without an MKI: the dataplane keys a direction with exactly one master key.
  if (c->keys.size() != 1 || c->keys[0].mki || !policy.allows(c->suite) ||
      sip::first_unsupported_param(*c)) {
    return MediaRefusal::kCryptoUnsupported;
  }
  return std::nullopt;
}

std::vector<std::string_view> crypto_values(const sip::SdpMedia& m) {
  std::vector<std::string_view> values;
  for (const sip::SdpAttribute& a : m.attributes) {
    if (a.name == "crypto") values.push_back(a.value);
  }
  return values;
}

std::optional<sip::SdesKey> fresh_key(sip::SdesSuite suite) {
  return sip::SdesKey::random(suite);
}

// "RTP/SAVP" <-> "RTP/AVP", feedback kept ("RTP/SAVPF" <-> "RTP/AVPF").
std::string as_kind(std::string_view proto, RtpProfileKind kind) {
  const bool feedback = proto.ends_with('F');
  if (kind == RtpProfileKind::kSdes) return feedback ? "RTP/SAVPF" : "RTP/SAVP";
  return feedback ? "RTP/AVPF" : "RTP/AVP";
}

}  // namespace

std::string_view to_string(MediaRefusal refusal) {
  const auto i = static_cast<size_t>(refusal);
  return i < kRefusalNames.size() ? kRefusalNames[i] : "unknown";
}

int response_code(MediaRefusal refusal) {
  if (refusal == MediaRefusal::kTranscodingCapacity) return 503;
  return refusal == MediaRefusal::kKeyGeneration ? 500 : 488;
}

int warning_code(MediaRefusal refusal) {
  switch (refusal) {
    case MediaRefusal::kProfileNotAllowed:
    case MediaRefusal::kAnswerProfileMismatch: return 302;
    default: return 305;
  }
}

std::string warning_text(MediaRefusal refusal) {
  const std::string_view what = warning_code(refusal) == 302 ? "Incompatible transport protocol"
                                                             : "Incompatible media format";
  return fmt::format("{} ({})", what, to_string(refusal));
}

RtpProfileKind profile_kind(std::string_view proto) {
  if (proto == "RTP/AVP" || proto == "RTP/AVPF") return RtpProfileKind::kRtp;
  if (proto == "RTP/SAVP" || proto == "RTP/SAVPF") return RtpProfileKind::kSdes;
  return RtpProfileKind::kOther;
}

std::expected<CallerMedia, MediaRefusal> accept_offer(const sip::SdpMedia& offer,
                                                      const MediaPolicy& caller) {
  CallerMedia media;
  media.kind = profile_kind(offer.proto);
  media.proto = std::string(offer.proto);
  const bool allowed =
      caller.profile == MediaProfile::kAsOffered
          ? true
          : media.kind == (caller.profile == MediaProfile::kSrtp ? RtpProfileKind::kSdes
                                                                 : RtpProfileKind::kRtp);
  if (!allowed) return std::unexpected(MediaRefusal::kProfileNotAllowed);
  if (media.kind != RtpProfileKind::kSdes) return media;

  const std::vector<std::string_view> lines = crypto_values(offer);
  if (lines.empty()) return std::unexpected(MediaRefusal::kCryptoMissing);
  MediaRefusal why = MediaRefusal::kCryptoUnsupported;
  for (std::string_view line : lines) {
    auto crypto = sip::parse_crypto(line);
    if (auto refusal = unusable(crypto, caller)) {
      if (*refusal == MediaRefusal::kCryptoMalformed) why = *refusal;
      continue;
    }
    auto ours = fresh_key(crypto->suite);
    if (!ours) return std::unexpected(MediaRefusal::kKeyGeneration);
    media.srtp = SrtpLeg{crypto->suite, crypto->tag, crypto->keys[0].key, std::move(*ours),
                         replay_window_of(*crypto)};
    return media;
  }
  return std::unexpected(why);
}

std::expected<CalleeOffer, MediaRefusal> offer_toward(const CallerMedia& caller,
                                                      const MediaPolicy& callee) {
  CalleeOffer offer;
  if (caller.kind == RtpProfileKind::kOther) {
    // DTLS-SRTP and the like pass untouched, only between sides that take what is offered.
    if (callee.profile != MediaProfile::kAsOffered) {
      return std::unexpected(MediaRefusal::kProfileNotAllowed);
    }
    offer.kind = RtpProfileKind::kOther;
    return offer;
  }
  switch (callee.profile) {
    case MediaProfile::kAsOffered: offer.kind = caller.kind; break;
    case MediaProfile::kRtp: offer.kind = RtpProfileKind::kRtp; break;
    case MediaProfile::kSrtp: offer.kind = RtpProfileKind::kSdes; break;
  }
  offer.proto = as_kind(caller.proto, offer.kind);
  if (offer.kind != RtpProfileKind::kSdes) return offer;
  uint32_t tag = 1;
  for (sip::SdesSuite suite : callee.srtp_suites) {
    auto key = fresh_key(suite);
    if (!key) return std::unexpected(MediaRefusal::kKeyGeneration);
    sip::CryptoAttribute line;
    line.tag = tag++;
    line.suite = suite;
    line.keys.push_back(sip::SdesKeyParam{std::move(*key), std::nullopt, std::nullopt});
    offer.crypto.push_back(std::move(line));
  }
  if (offer.crypto.empty()) return std::unexpected(MediaRefusal::kCryptoUnsupported);
  return offer;
}

std::expected<std::optional<SrtpLeg>, MediaRefusal> accept_answer(const sip::SdpMedia& answer,
                                                                  const CalleeOffer& offered) {
  if (offered.kind == RtpProfileKind::kOther) return std::nullopt;
  if (profile_kind(answer.proto) != offered.kind) {
    return std::unexpected(MediaRefusal::kAnswerProfileMismatch);
  }
  if (offered.kind != RtpProfileKind::kSdes) return std::nullopt;
  // RFC 4568 §5.1.2: the answer carries exactly one a=crypto, with the tag of the offer's line
  // it accepts, that line's suite, and the answerer's own key.
  const std::vector<std::string_view> lines = crypto_values(answer);
  if (lines.size() != 1) return std::unexpected(MediaRefusal::kAnswerCryptoMismatch);
  auto crypto = sip::parse_crypto(lines[0]);
  if (!crypto) return std::unexpected(MediaRefusal::kAnswerCryptoMismatch);
  for (const sip::CryptoAttribute& ours : offered.crypto) {
    if (ours.tag != crypto->tag) continue;
    if (ours.suite != crypto->suite || crypto->keys.size() != 1 || crypto->keys[0].mki ||
        sip::first_unsupported_param(*crypto)) {
      break;
    }
    return SrtpLeg{ours.suite, ours.tag, crypto->keys[0].key, ours.keys[0].key,
                   replay_window_of(*crypto)};
  }
  return std::unexpected(MediaRefusal::kAnswerCryptoMismatch);
}

StreamProfile caller_answer_profile(const CallerMedia& caller) {
  StreamProfile profile;
  if (caller.kind == RtpProfileKind::kOther) return profile;
  profile.proto = caller.proto;  // an answer's profile is the offer's
  profile.crypto.emplace();
  if (caller.srtp) {
    sip::CryptoAttribute line;
    line.tag = caller.srtp->tag;
    line.suite = caller.srtp->suite;
    line.keys.push_back(sip::SdesKeyParam{caller.srtp->our_key, std::nullopt, std::nullopt});
    profile.crypto->push_back(sip::format_crypto(line));
  }
  return profile;
}

StreamProfile callee_offer_profile(const CalleeOffer& offer) {
  StreamProfile profile;
  if (offer.kind == RtpProfileKind::kOther) return profile;
  profile.proto = offer.proto;
  profile.crypto.emplace();
  for (const sip::CryptoAttribute& line : offer.crypto) {
    profile.crypto->push_back(sip::format_crypto(line));
  }
  return profile;
}

}  // namespace sbc::cp
