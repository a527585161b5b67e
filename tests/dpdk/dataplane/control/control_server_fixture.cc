#include "tests/dpdk/dataplane/control/control_server_fixture.h"

#include <cstdlib>
#include <filesystem>

namespace sbc::dp::test {

void ControlServerFixture::SetUp() {
  DataplaneTest::SetUp();
  if (HasFatalFailure()) return;
  char dir[] = "/tmp/sbc-dp-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  dir_ = dir;
  path_ = dir_ + "/dataplane.sock";
  server_ = std::make_unique<ControlServer>(*service_, path_, hz_, [this] { return now_; });
  auto ok = server_->open();
  ASSERT_TRUE(ok.has_value()) << ok.error();
}

void ControlServerFixture::TearDown() {
  server_.reset();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
  DataplaneTest::TearDown();
}

}  // namespace sbc::dp::test
