#include "dataplane/media/srtp_library.h"

#include <srtp2/srtp.h>

#include "dataplane/media/srtp_ciphers.h"

namespace sbc::dp {
namespace {

void discard_log(srtp_log_level_t /*level*/, const char* /*msg*/, void* /*data*/) {}

}  // namespace

std::expected<SrtpLibrary, SrtpInitError> SrtpLibrary::init() {
  if (srtp_init() != srtp_err_status_ok) return std::unexpected(SrtpInitError::kInitFailed);
  if (register_srtp_crypto() != srtp_err_status_ok) {
    srtp_shutdown();
    return std::unexpected(SrtpInitError::kCryptoFailed);
  }
  srtp_install_log_handler(discard_log, nullptr);
  return SrtpLibrary();
}

SrtpLibrary::~SrtpLibrary() {
  if (!owner_) return;
  srtp_install_log_handler(nullptr, nullptr);
  srtp_shutdown();
}

}  // namespace sbc::dp
