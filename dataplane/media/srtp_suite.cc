#include "dataplane/media/srtp_suite.h"

#include <array>

namespace sbc::dp {
namespace {

constexpr std::array<SrtpSuiteInfo, 4> kSuites = {{
    {SrtpSuite::kAesCm128HmacSha1_80, "AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10},
    {SrtpSuite::kAesCm128HmacSha1_32, "AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10},
    {SrtpSuite::kAeadAes128Gcm, "AEAD_AES_128_GCM", 16, 12, 16, 16},
    {SrtpSuite::kAeadAes256Gcm, "AEAD_AES_256_GCM", 32, 12, 16, 16},
}};

static_assert([] {
  for (size_t i = 0; i < kSuites.size(); ++i) {
    if (static_cast<size_t>(kSuites[i].suite) != i) return false;
    if (kSuites[i].key_length + kSuites[i].salt_length > kMaxSrtpKeySaltLength) return false;
    if (kSuites[i].rtcp_tag_length + kSrtcpIndexLength > kMaxSrtpTrailer) return false;
  }
  return true;
}());

}  // namespace

std::span<const SrtpSuiteInfo> srtp_suites() {
  return kSuites;
}

const SrtpSuiteInfo& suite_info(SrtpSuite suite) {
  return kSuites[static_cast<size_t>(suite)];
}

std::string_view to_string(SrtpSuite suite) {
  return suite_info(suite).name;
}

std::optional<SrtpSuite> srtp_suite_from_name(std::string_view name) {
  for (const SrtpSuiteInfo& s : kSuites) {
    if (s.name == name) return s.suite;
  }
  return std::nullopt;
}

}  // namespace sbc::dp
