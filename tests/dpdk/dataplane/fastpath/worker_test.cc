// Two workers on the lab's port pairs: each port (wire RX, TAP RX and TX) has exactly one owner;
// the wire TX queue a frame leaves on is the id of the worker that sent it.
#include "dataplane/fastpath/worker.h"

#include <rte_ethdev.h>
#include <rte_ring.h>

#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

class TwoWorkerTest : public DataplaneTest {
 protected:
  uint16_t worker_count() const override { return 2; }
  Worker& worker(uint16_t id) { return *workers_.at(id); }
  void poll_worker(uint16_t id) { poll_once(worker(id), now_); }
  // Frames a port sent on one TX queue.
  size_t sent_on(const RingPort& port, uint16_t queue) {
    auto frames = drain(port.tx[queue]);
    const size_t n = frames.size();
    free_all(frames);
    return n;
  }
  static unsigned waiting(const RingPort& port) { return rte_ring_count(port.rx); }
};

TEST_F(TwoWorkerTest, PortPairsHaveTheProductionQueueLayout) {
  for (uint32_t p : {kAccess, kTrunk}) {
    rte_eth_dev_info wire{};
    rte_eth_dev_info tap{};
    ASSERT_EQ(rte_eth_dev_info_get(lab().wire[p].id, &wire), 0);
    ASSERT_EQ(rte_eth_dev_info_get(lab().tap[p].id, &tap), 0);
    EXPECT_EQ(wire.nb_rx_queues, 1u);
    EXPECT_EQ(wire.nb_tx_queues, kLabWorkers);  // one per worker
    EXPECT_EQ(tap.nb_rx_queues, 1u);            // net_tap: as many RX as TX queues
    EXPECT_EQ(tap.nb_tx_queues, 1u);
  }
  // Worker w owns port w: only it has the port's TAP buffer and punt policer.
  EXPECT_EQ(worker(0).rx_port_count, 1u);
  EXPECT_EQ(worker(0).rx_ports[0], kAccess);
  EXPECT_EQ(worker(1).rx_port_count, 1u);
  EXPECT_EQ(worker(1).rx_ports[0], kTrunk);
  EXPECT_NE(worker(0).tap_tx[kAccess], nullptr);
  EXPECT_EQ(worker(0).tap_tx[kTrunk], nullptr);
  EXPECT_EQ(worker(1).tap_tx[kAccess], nullptr);
  EXPECT_NE(worker(1).tap_tx[kTrunk], nullptr);
  for (uint16_t w = 0; w < 2; ++w) {  // any worker relays out of any port
    EXPECT_NE(worker(w).phys_tx[kAccess], nullptr);
    EXPECT_NE(worker(w).phys_tx[kTrunk], nullptr);
  }
}

TEST_F(TwoWorkerTest, EachPortIsPolledAndPuntedByItsOwnerOnly) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);

  // Caller media arrives on access: worker 1 leaves it alone, worker 0 relays it out of the trunk
  // on its own TX queue.
  inject_wire(kAccess, build_udp(from_caller(20000)));
  poll_worker(1);
  EXPECT_EQ(waiting(lab().wire[kAccess]), 1u);
  poll_worker(0);
  EXPECT_EQ(sent_on(lab().wire[kTrunk], 0), 1u);
  EXPECT_EQ(sent_on(lab().wire[kTrunk], 1), 0u);

  // Callee media arrives on the trunk: worker 1's, out of access on TX queue 1.
  inject_wire(kTrunk, build_udp(from_callee(30000)));
  poll_worker(0);
  EXPECT_EQ(waiting(lab().wire[kTrunk]), 1u);
  poll_worker(1);
  EXPECT_EQ(sent_on(lab().wire[kAccess], 1), 1u);
  EXPECT_EQ(sent_on(lab().wire[kAccess], 0), 0u);

  // SIP on the trunk is punted by its owner into the trunk TAP's only queue.
  inject_wire(kTrunk, build_udp(from_callee(5060, 5060)));
  poll_worker(0);
  EXPECT_EQ(sent_on(lab().tap[kTrunk], 0), 0u);
  poll_worker(1);
  EXPECT_EQ(sent_on(lab().tap[kTrunk], 0), 1u);

  // What the kernel sends through the trunk TAP: read by worker 1 only, out on its queue.
  inject_tap(kTrunk, build_udp(from_callee(5060, 5060)));
  poll_worker(0);
  EXPECT_EQ(waiting(lab().tap[kTrunk]), 1u);
  poll_worker(1);
  EXPECT_EQ(sent_on(lab().wire[kTrunk], 1), 1u);
  EXPECT_EQ(sent_on(lab().wire[kTrunk], 0), 0u);

  // The totals add up both workers' counters.
  auto totals = service_->stats({0}, now_);
  ASSERT_TRUE(totals);
  EXPECT_EQ(totals->ports.at(kTrunk).media_packets, 1u);
  EXPECT_EQ(totals->ports.at(kAccess).media_packets, 1u);
  EXPECT_EQ(totals->ports.at(kTrunk).to_kernel, 2u);  // + the ARP of learn_peers
  EXPECT_EQ(totals->ports.at(kTrunk).from_kernel, 1u);
}

TEST_F(TwoWorkerTest, GracePeriodWaitsForBothWorkers) {
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  ASSERT_EQ(service_->session_delete({1}).status, api::Status::kOk);
  EXPECT_EQ(table_->reclaim(), 1u);
  poll_worker(0);
  EXPECT_EQ(table_->reclaim(), 1u);  // worker 1 may still hold the record
  poll_worker(1);
  EXPECT_EQ(table_->reclaim(), 0u);
}

}  // namespace
}  // namespace sbc::dp::test
