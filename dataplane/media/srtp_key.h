// SrtpMasterKey: one SRTP master key || master salt, sized for its suite. It lives in a fixed array
// (no heap copy to forget), wipes itself with OPENSSL_cleanse when destroyed or moved from, is
// never copied implicitly, and has no operator<< and no fmt formatter: key material cannot reach a
// log line by accident. It is created only with the exact length its suite needs.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <span>

#include "dataplane/media/srtp_suite.h"

namespace sbc::dp {

enum class SrtpKeyError : uint8_t {
  kWrongLength,  // key || salt is not the suite's length
};

class SrtpMasterKey {
 public:
  // key_salt is the master key followed by the master salt (as SDES carries them).
  static std::expected<SrtpMasterKey, SrtpKeyError> create(SrtpSuite suite,
                                                           std::span<const uint8_t> key_salt);

  SrtpMasterKey(SrtpMasterKey&& other) noexcept;
  SrtpMasterKey& operator=(SrtpMasterKey&& other) noexcept;
  SrtpMasterKey(const SrtpMasterKey&) = delete;
  SrtpMasterKey& operator=(const SrtpMasterKey&) = delete;
  ~SrtpMasterKey();

  // An explicit copy, for the one place that needs two (e.g. a context rebuilt on re-key).
  SrtpMasterKey clone() const;

  SrtpSuite suite() const { return suite_; }
  // key || salt; valid while this object lives. Hand it to libsrtp only.
  std::span<const uint8_t> key_salt() const { return {bytes_.data(), size_}; }

 private:
  SrtpMasterKey(SrtpSuite suite, std::span<const uint8_t> key_salt);
  void wipe();

  std::array<uint8_t, kMaxSrtpKeySaltLength> bytes_{};
  uint8_t size_ = 0;
  SrtpSuite suite_ = SrtpSuite::kAesCm128HmacSha1_80;
};

}  // namespace sbc::dp
