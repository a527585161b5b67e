#include "dataplane/media/srtp_library.h"

#include <gtest/gtest.h>

#include <optional>

#include "dataplane/media/srtp_context.h"
#include "tests/unit/dataplane/media/srtp_test_util.h"

namespace sbc::dp {
namespace {

TEST(SrtpLibrary, InitsAndShutsDownAgain) {
  for (int round = 0; round < 2; ++round) {
    auto library = SrtpLibrary::init();
    ASSERT_TRUE(library);
    auto ctx = SrtpOutbound::create(*library, test::key_for(SrtpSuite::kAesCm128HmacSha1_80, 1));
    ASSERT_TRUE(ctx);
    auto p = test::rtp_packet(1, 1);
    EXPECT_EQ(ctx->protect_rtp(p.buffer, p.length), SrtpResult::kOk);
  }
}

TEST(SrtpLibrary, AMovedOwnerShutsDownOnce) {
  auto library = SrtpLibrary::init();
  ASSERT_TRUE(library);
  std::optional<SrtpLibrary> moved(std::move(*library));
  library = std::unexpected(SrtpInitError::kInitFailed);  // the moved-from owner is gone
  auto ctx = SrtpInbound::create(*moved, test::key_for(SrtpSuite::kAeadAes128Gcm, 1));
  EXPECT_TRUE(ctx);
}

}  // namespace
}  // namespace sbc::dp
