// Dataplane::start (dataplane.cc) in the test EAL, which has the main lcore only ("-l 0"): the
// start-up refuses before it allocates anything. The full start (ports with their kernel TAPs,
// workers on their lcores, the control socket) runs in the integration tests (tools/lab/).
#include "dataplane/app/dataplane.h"

#include <rte_lcore.h>
#include <rte_mempool.h>

#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

TEST(DataplaneStartTest, StartNeedsAWorkerLcoreBeyondTheMainOne) {
  ASSERT_EQ(rte_lcore_count(), 1u);
  Config config;
  config.control_socket = "/nonexistent/sbc-dataplane-test.sock";
  auto started = Dataplane::start(config);
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error(), "dataplane.lcores: no worker lcore");
  EXPECT_EQ(rte_mempool_lookup("sbc_mbufs"), nullptr);  // nothing allocated
}

}  // namespace
}  // namespace sbc::dp::test
