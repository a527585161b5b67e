#include "dataplane/media/srtp_context.h"

#include <algorithm>
#include <array>
#include <utility>

namespace sbc::dp {
namespace {

constexpr size_t kRtpHeader = 12;
constexpr size_t kRtcpHeader = 8;

constexpr std::array<std::string_view, kSrtpResultCount> kResultNames = {
    "ok",      "auth_fail",  "replay_fail", "replay_old", "bad_length", "bad_header",
    "no_room", "ssrc_limit", "key_expired", "no_memory",  "failed",
};

uint32_t read32(std::span<const uint8_t> p, size_t at) {
  return (uint32_t{p[at]} << 24) | (uint32_t{p[at + 1]} << 16) | (uint32_t{p[at + 2]} << 8) |
         uint32_t{p[at + 3]};
}

// The header of an RTP packet whose `body` bytes (the packet without its trailer) are given:
// version 2, and the CSRC list and header extension end within it.
bool rtp_header_fits(std::span<const uint8_t> body) {
  if (body.size() < kRtpHeader || (body[0] >> 6) != 2) return false;
  size_t end = kRtpHeader + 4 * size_t{body[0] & 0x0fu};
  if ((body[0] & 0x10u) != 0) {  // X: 16-bit profile, 16-bit length in words, then the words
    if (end + 4 > body.size()) return false;
    end += 4 + 4 * ((size_t{body[end + 2]} << 8) | body[end + 3]);
  }
  return end <= body.size();
}

bool rtcp_header_fits(std::span<const uint8_t> body) {
  return body.size() >= kRtcpHeader && (body[0] >> 6) == 2;
}

SrtpResult from_status(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_ok: return SrtpResult::kOk;
    case srtp_err_status_auth_fail: return SrtpResult::kAuthFail;
    case srtp_err_status_replay_fail: return SrtpResult::kReplayFail;
    case srtp_err_status_replay_old: return SrtpResult::kReplayOld;
    case srtp_err_status_key_expired: return SrtpResult::kKeyExpired;
    case srtp_err_status_alloc_fail: return SrtpResult::kNoMemory;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err: return SrtpResult::kBadHeader;
    default: return SrtpResult::kFailed;
  }
}

void set_policy(SrtpSuite suite, srtp_policy_t& policy) {
  switch (suite) {
    case SrtpSuite::kAesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      break;
    case SrtpSuite::kAesCm128HmacSha1_32:  // RFC 4568 6.2.2: SRTCP keeps its 80-bit tag
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      break;
    case SrtpSuite::kAeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      break;
    case SrtpSuite::kAeadAes256Gcm:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp);
      break;
  }
}

}  // namespace

std::string_view to_string(SrtpResult result) {
  return kResultNames[static_cast<size_t>(result)];
}

std::string_view to_string(SrtpSetupError error) {
  switch (error) {
    case SrtpSetupError::kBadOptions: return "bad_options";
    case SrtpSetupError::kCreateFailed: return "create_failed";
    case SrtpSetupError::kSsrcLimit: return "ssrc_limit";
  }
  return "unknown";
}

namespace detail {

std::expected<SrtpSession, SrtpSetupError> SrtpSession::create(const SrtpMasterKey& key,
                                                               srtp_ssrc_type_t direction,
                                                               const SrtpOptions& options,
                                                               std::span<const uint32_t> ssrcs) {
  if (options.replay_window < 64 || options.replay_window > 0x7fff || options.max_ssrcs == 0 ||
      options.max_ssrcs > kMaxSrtpSsrcs) {
    return std::unexpected(SrtpSetupError::kBadOptions);
  }
  // The known SSRCs, each once, then the wildcard template: one policy element each.
  std::array<uint32_t, kMaxSrtpSsrcs> unique{};
  size_t count = 0;
  for (uint32_t ssrc : ssrcs) {
    if (std::find(unique.begin(), unique.begin() + count, ssrc) != unique.begin() + count) continue;
    if (count == options.max_ssrcs) return std::unexpected(SrtpSetupError::kSsrcLimit);
    unique[count++] = ssrc;
  }
  // libsrtp reads the key through a non-const pointer but only derives session keys from it; this
  // copy keeps the caller's key untouched and is wiped when it goes out of scope.
  SrtpMasterKey material = key.clone();
  std::array<srtp_policy_t, kMaxSrtpSsrcs + 1> policies{};
  for (size_t i = 0; i <= count; ++i) {
    srtp_policy_t& policy = policies[i];
    set_policy(key.suite(), policy);
    if (i < count) {
      policy.ssrc.type = ssrc_specific;
      policy.ssrc.value = unique[i];
    } else {
      policy.ssrc.type = direction;
    }
    policy.key = const_cast<uint8_t*>(material.key_salt().data());
    policy.window_size = options.replay_window;
    policy.allow_repeat_tx = 0;  // never reuse a keystream for a repeated index
    policy.next = i < count ? &policies[i + 1] : nullptr;
  }
  srtp_t session = nullptr;
  if (srtp_create(&session, policies.data()) != srtp_err_status_ok) {
    return std::unexpected(SrtpSetupError::kCreateFailed);
  }
  SrtpSession created(session, key.suite(), options);
  for (size_t i = 0; i < count; ++i) created.remember(unique[i]);
  return created;
}

SrtpSession::SrtpSession(srtp_t session, SrtpSuite suite, const SrtpOptions& options)
    : session_(session), suite_(suite), max_ssrcs_(options.max_ssrcs) {}

SrtpSession::SrtpSession(SrtpSession&& other) noexcept
    : session_(std::exchange(other.session_, nullptr)),
      suite_(other.suite_),
      max_ssrcs_(other.max_ssrcs_),
      ssrc_count_(std::exchange(other.ssrc_count_, 0)),
      ssrcs_(other.ssrcs_) {}

SrtpSession& SrtpSession::operator=(SrtpSession&& other) noexcept {
  if (this != &other) {
    if (session_ != nullptr) srtp_dealloc(session_);
    session_ = std::exchange(other.session_, nullptr);
    suite_ = other.suite_;
    max_ssrcs_ = other.max_ssrcs_;
    ssrc_count_ = std::exchange(other.ssrc_count_, 0);
    ssrcs_ = other.ssrcs_;
  }
  return *this;
}

SrtpSession::~SrtpSession() {
  if (session_ != nullptr) srtp_dealloc(session_);  // libsrtp zeroes the derived keys
}

bool SrtpSession::knows(uint32_t ssrc) const {
  const auto* end = ssrcs_.begin() + ssrc_count_;
  return std::find(ssrcs_.begin(), end, ssrc) != end;
}

void SrtpSession::remember(uint32_t ssrc) {
  if (!knows(ssrc) && ssrc_count_ < max_ssrcs_) ssrcs_[ssrc_count_++] = ssrc;
}

}  // namespace detail

std::expected<SrtpInbound, SrtpSetupError> SrtpInbound::create(const SrtpLibrary& /*library*/,
                                                               const SrtpMasterKey& key,
                                                               const SrtpOptions& options,
                                                               std::span<const uint32_t> ssrcs) {
  auto session = SrtpSession::create(key, ssrc_any_inbound, options, ssrcs);
  if (!session) return std::unexpected(session.error());
  return SrtpInbound(std::move(*session));
}

std::expected<SrtpOutbound, SrtpSetupError> SrtpOutbound::create(const SrtpLibrary& /*library*/,
                                                                 const SrtpMasterKey& key,
                                                                 const SrtpOptions& options,
                                                                 std::span<const uint32_t> ssrcs) {
  auto session = SrtpSession::create(key, ssrc_any_outbound, options, ssrcs);
  if (!session) return std::unexpected(session.error());
  return SrtpOutbound(std::move(*session));
}

SrtpResult SrtpInbound::unprotect_rtp(std::span<uint8_t> buffer, size_t& length) {
  const size_t trailer = rtp_trailer(suite_);
  if (length > buffer.size() || length > kMaxSrtpPacket || length < kRtpHeader + trailer) {
    return SrtpResult::kBadLength;
  }
  if (!rtp_header_fits(buffer.first(length - trailer))) return SrtpResult::kBadHeader;
  const uint32_t ssrc = read32(buffer, 8);
  if (!admissible(ssrc)) return SrtpResult::kSsrcLimit;
  int len = static_cast<int>(length);
  const SrtpResult result = from_status(srtp_unprotect(session_, buffer.data(), &len));
  if (result != SrtpResult::kOk) return result;
  remember(ssrc);  // libsrtp made its stream after the packet authenticated
  length = static_cast<size_t>(len);
  return result;
}

SrtpResult SrtpInbound::unprotect_rtcp(std::span<uint8_t> buffer, size_t& length) {
  const size_t trailer = rtcp_trailer(suite_);
  if (length > buffer.size() || length > kMaxSrtpPacket || length < kRtcpHeader + trailer) {
    return SrtpResult::kBadLength;
  }
  if (!rtcp_header_fits(buffer.first(length - trailer))) return SrtpResult::kBadHeader;
  const uint32_t ssrc = read32(buffer, 4);
  if (!admissible(ssrc)) return SrtpResult::kSsrcLimit;
  int len = static_cast<int>(length);
  const SrtpResult result = from_status(srtp_unprotect_rtcp(session_, buffer.data(), &len));
  if (result != SrtpResult::kOk) return result;
  remember(ssrc);
  length = static_cast<size_t>(len);
  return result;
}

SrtpResult SrtpOutbound::protect_rtp(std::span<uint8_t> buffer, size_t& length) {
  if (length > buffer.size() || length + rtp_trailer(suite_) > kMaxSrtpPacket) {
    return SrtpResult::kBadLength;
  }
  if (!rtp_header_fits(buffer.first(length))) {
    return length < kRtpHeader ? SrtpResult::kBadLength : SrtpResult::kBadHeader;
  }
  if (buffer.size() - length < rtp_trailer(suite_)) return SrtpResult::kNoRoom;
  const uint32_t ssrc = read32(buffer, 8);
  if (!admissible(ssrc)) return SrtpResult::kSsrcLimit;
  int len = static_cast<int>(length);
  const SrtpResult result = from_status(srtp_protect(session_, buffer.data(), &len));
  // libsrtp cloned the template for a new SSRC before anything else could fail.
  if (result != SrtpResult::kNoMemory) remember(ssrc);
  if (result == SrtpResult::kOk) length = static_cast<size_t>(len);
  return result;
}

SrtpResult SrtpOutbound::protect_rtcp(std::span<uint8_t> buffer, size_t& length) {
  if (length > buffer.size() || length + rtcp_trailer(suite_) > kMaxSrtpPacket) {
    return SrtpResult::kBadLength;
  }
  if (!rtcp_header_fits(buffer.first(length))) {
    return length < kRtcpHeader ? SrtpResult::kBadLength : SrtpResult::kBadHeader;
  }
  if (buffer.size() - length < rtcp_trailer(suite_)) return SrtpResult::kNoRoom;
  const uint32_t ssrc = read32(buffer, 4);
  if (!admissible(ssrc)) return SrtpResult::kSsrcLimit;
  int len = static_cast<int>(length);
  const SrtpResult result = from_status(srtp_protect_rtcp(session_, buffer.data(), &len));
  if (result != SrtpResult::kNoMemory) remember(ssrc);
  if (result == SrtpResult::kOk) length = static_cast<size_t>(len);
  return result;
}

}  // namespace sbc::dp
