// The dataplane's control server (dataplane/control_server.h) on a real AF_UNIX SOCK_SEQPACKET
// socket in a fresh temp dir, over the test data path of DataplaneTest, driven one poll at a time
// with the test's fake clock. The base of every test that talks to the control socket.
#pragma once

#include <memory>
#include <string>

#include "dataplane/control/control_server.h"
#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {

class ControlServerFixture : public DataplaneTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::string dir_;
  std::string path_;  // the socket
  std::unique_ptr<ControlServer> server_;
};

}  // namespace sbc::dp::test
