// SrtpLibrary: the owner of libsrtp's process-wide state. srtp_init registers the cipher and auth
// types in libsrtp's crypto kernel (one per process); srtp_shutdown frees it. The dataplane creates
// exactly one SrtpLibrary at start, before any worker runs, and destroys it after the workers have
// stopped and every SRTP context is gone. Contexts are created from it (SrtpInbound::create takes
// a const SrtpLibrary&), so the type system orders init before use without a global flag.
//
// init then replaces the per-packet cipher and auth types with allocation-free ones over OpenSSL
// (srtp_ciphers.h): Debian's NSS-based ones allocate per packet.
//
// It also installs a log handler that discards libsrtp's messages: every per-packet outcome is
// already a result value the worker counts, and a worker never logs per packet.
#pragma once

#include <cstdint>
#include <expected>

namespace sbc::dp {

enum class SrtpInitError : uint8_t {
  kInitFailed,    // srtp_init failed (the crypto kernel could not load its types)
  kCryptoFailed,  // the allocation-free cipher/auth types (srtp_ciphers.h) failed their self-test
};

class SrtpLibrary {
 public:
  static std::expected<SrtpLibrary, SrtpInitError> init();

  SrtpLibrary(SrtpLibrary&& other) noexcept : owner_(other.owner_) { other.owner_ = false; }
  SrtpLibrary& operator=(SrtpLibrary&&) = delete;
  SrtpLibrary(const SrtpLibrary&) = delete;
  SrtpLibrary& operator=(const SrtpLibrary&) = delete;
  ~SrtpLibrary();

 private:
  SrtpLibrary() = default;
  bool owner_ = true;
};

}  // namespace sbc::dp
