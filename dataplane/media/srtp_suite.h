// The SRTP crypto suites the dataplane protects and unprotects with (RFC 4568 SDES names):
// AES-CM with HMAC-SHA1 (RFC 3711, 80- or 32-bit RTP tag) and AES-GCM (RFC 7714). One table gives
// each suite's SDP name, master key and salt lengths and the trailer it adds to RTP and RTCP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace sbc::dp {

enum class SrtpSuite : uint8_t {
  kAesCm128HmacSha1_80,  // AES_CM_128_HMAC_SHA1_80 (RFC 3711 / 4568)
  kAesCm128HmacSha1_32,  // AES_CM_128_HMAC_SHA1_32: 32-bit tag on SRTP, 80-bit on SRTCP
  kAeadAes128Gcm,        // AEAD_AES_128_GCM (RFC 7714), 16-byte tag
  kAeadAes256Gcm,        // AEAD_AES_256_GCM (RFC 7714), 16-byte tag
};

struct SrtpSuiteInfo {
  SrtpSuite suite;
  std::string_view name;   // the RFC 4568 / RFC 7714 crypto-suite name
  size_t key_length;       // master key, bytes
  size_t salt_length;      // master salt, bytes
  size_t rtp_tag_length;   // authentication tag appended to an SRTP packet
  size_t rtcp_tag_length;  // authentication tag appended to an SRTCP packet (after E|index)
};

// SRTCP's trailer: the E flag and 31-bit index word, then the tag (RFC 3711 section 3.4).
inline constexpr size_t kSrtcpIndexLength = 4;
// The largest master key||salt of any suite (AEAD_AES_256_GCM: 32 + 12; AES-CM-128: 16 + 14).
inline constexpr size_t kMaxSrtpKeySaltLength = 44;
// The largest trailer protect adds to one packet, over all suites and both RTP and RTCP.
inline constexpr size_t kMaxSrtpTrailer = 16 + kSrtcpIndexLength;

std::span<const SrtpSuiteInfo> srtp_suites();
const SrtpSuiteInfo& suite_info(SrtpSuite suite);
std::string_view to_string(SrtpSuite suite);
// The suite an SDES name denotes (exact, case-sensitive as RFC 4568 registers them).
std::optional<SrtpSuite> srtp_suite_from_name(std::string_view name);

// key || salt, the libsrtp master key input.
inline size_t key_salt_length(SrtpSuite suite) {
  const SrtpSuiteInfo& s = suite_info(suite);
  return s.key_length + s.salt_length;
}
// What protect appends: the RTP tag, or SRTCP's index word and tag.
inline size_t rtp_trailer(SrtpSuite suite) {
  return suite_info(suite).rtp_tag_length;
}
inline size_t rtcp_trailer(SrtpSuite suite) {
  return kSrtcpIndexLength + suite_info(suite).rtcp_tag_length;
}

}  // namespace sbc::dp
