#include <unistd.h>

#include <string>

#include "tests/dpdk/test_lab.h"

int main(int argc, char** argv) {
  // Unique per binary and run, so several DPDK test processes can run at once.
  const std::string prefix = "sbc-dpdk-tests-" + std::to_string(getpid());
  return sbc::dp::test::run_dpdk_tests(argc, argv, prefix.c_str());
}
