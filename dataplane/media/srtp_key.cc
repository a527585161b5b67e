#include "dataplane/media/srtp_key.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace sbc::dp {

std::expected<SrtpMasterKey, SrtpKeyError> SrtpMasterKey::create(
    SrtpSuite suite, std::span<const uint8_t> key_salt) {
  if (key_salt.size() != key_salt_length(suite)) {
    return std::unexpected(SrtpKeyError::kWrongLength);
  }
  return SrtpMasterKey(suite, key_salt);
}

SrtpMasterKey::SrtpMasterKey(SrtpSuite suite, std::span<const uint8_t> key_salt)
    : size_(static_cast<uint8_t>(key_salt.size())), suite_(suite) {
  std::copy(key_salt.begin(), key_salt.end(), bytes_.begin());
}

SrtpMasterKey::SrtpMasterKey(SrtpMasterKey&& other) noexcept
    : bytes_(other.bytes_), size_(other.size_), suite_(other.suite_) {
  other.wipe();
}

SrtpMasterKey& SrtpMasterKey::operator=(SrtpMasterKey&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = other.bytes_;
    size_ = other.size_;
    suite_ = other.suite_;
    other.wipe();
  }
  return *this;
}

SrtpMasterKey::~SrtpMasterKey() {
  wipe();
}

SrtpMasterKey SrtpMasterKey::clone() const {
  return SrtpMasterKey(suite_, key_salt());
}

void SrtpMasterKey::wipe() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
  size_ = 0;
}

}  // namespace sbc::dp
