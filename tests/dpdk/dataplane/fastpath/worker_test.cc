// Two workers on the lab's port pairs. Without RSS each port (wire RX, TAP RX and TX) has exactly
// one owner; with RSS (one wire RX queue per worker) every worker polls every port, each stream
// belongs to the worker that claimed it and each port's exception path to the port's owner, and
// whatever lands elsewhere is handed over. The wire TX queue a frame leaves on is the id of the
// worker that sent it.
#include "dataplane/fastpath/worker.h"

#include <arpa/inet.h>
#include <rte_arp.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <algorithm>

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
  static unsigned waiting(const RingPort& port) { return rte_ring_count(port.rx[0]); }
};

TEST_F(TwoWorkerTest, PortPairsHaveTheProductionQueueLayout) {
  for (uint32_t p : {kAccess, kTrunk}) {
    rte_eth_dev_info wire{};
    rte_eth_dev_info tap{};
    ASSERT_EQ(rte_eth_dev_info_get(lab().wire[p].id, &wire), 0);
    ASSERT_EQ(rte_eth_dev_info_get(lab().tap[p].id, &tap), 0);
    EXPECT_EQ(wire.nb_rx_queues, kLabWorkers);  // RSS-ready; these workers poll queue 0 only
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

// RSS: the test puts each frame on the queue a NIC's hash would have chosen.
class RssWorkerTest : public TwoWorkerTest {
 protected:
  bool rss() const override { return true; }
  uint64_t handed_off() const { return events(Event::kHandedOff); }
};

TEST_F(RssWorkerTest, EveryWorkerPollsItsQueueOfEveryPort) {
  for (uint16_t w = 0; w < 2; ++w) {
    ASSERT_EQ(worker(w).wire_rx_count, 2u);
    for (uint8_t i = 0; i < 2; ++i) {
      EXPECT_EQ(worker(w).wire_rx[i].port, i);
      EXPECT_EQ(worker(w).wire_rx[i].queue, w);
    }
    EXPECT_NE(worker(w).handoff, nullptr);
    EXPECT_EQ(datapath_->handoff_rings[w], worker(w).handoff);
  }
  EXPECT_EQ(datapath_->worker_count, 2u);
  // The exception path keeps one owner per port.
  EXPECT_EQ(worker(0).rx_port_count, 1u);
  EXPECT_EQ(worker(0).rx_ports[0], kAccess);
  EXPECT_EQ(worker(1).rx_ports[0], kTrunk);
}

TEST_F(RssWorkerTest, AStreamStaysWithTheWorkerThatClaimedIt) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  const uint64_t handed_before = handed_off();

  // The caller's flow hashes to queue 1: worker 1 claims the stream and relays it.
  inject_wire(kAccess, build_udp(from_caller(20000)), 1);
  poll();
  EXPECT_EQ(sent_on(lab().wire[kTrunk], 1), 1u);
  // The callee's flow hashes to queue 0: worker 0 owns the other direction.
  inject_wire(kTrunk, build_udp(from_callee(30000)), 0);
  poll();
  EXPECT_EQ(sent_on(lab().wire[kAccess], 0), 1u);
  EXPECT_EQ(handed_off(), handed_before);

  // A caller packet on worker 0's queue (a rollover, a second NAT binding): handed to worker 1,
  // which relays it on its own TX queue; worker 0 never touches the stream.
  inject_wire(kAccess, build_udp(from_caller(20000)), 0);
  poll_worker(0);
  EXPECT_EQ(sent_on(lab().wire[kTrunk], 0), 0u);
  EXPECT_EQ(rte_ring_count(worker(1).handoff), 1u);
  poll_worker(1);
  EXPECT_EQ(sent_on(lab().wire[kTrunk], 1), 1u);
  EXPECT_EQ(handed_off(), handed_before + 1);
  EXPECT_EQ(leg_stats(1, 0).rtp.packets, 2u);  // one owner counted both
  EXPECT_EQ(drops(Drop::kHandoffFailed), 0u);
}

TEST_F(RssWorkerTest, OnlyAnAcceptableSourceClaimsAStream) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  // A stranger reaches the media port first, on worker 0's queue: dropped there, no claim.
  UdpFrame stranger = from_caller(20000);
  stranger.src_ip = ip(192, 0, 2, 99);
  inject_wire(kAccess, build_udp(stranger), 0);
  poll();
  EXPECT_EQ(drops(Drop::kNotAllowedSource), 1u);
  // The caller then claims it for worker 1, whose queue its flow is on.
  inject_wire(kAccess, build_udp(from_caller(20000)), 1);
  poll();
  EXPECT_EQ(sent_on(lab().wire[kTrunk], 1), 1u);
  // The stranger again on worker 0: now the owner's to judge (and count on the stream).
  inject_wire(kAccess, build_udp(stranger), 0);
  poll();
  EXPECT_EQ(drops(Drop::kNotAllowedSource), 2u);
  EXPECT_EQ(leg_stats(1, 0).rtp.dropped, 1u);
}

TEST_F(RssWorkerTest, PuntsAndArpGoToThePortsOwner) {
  const uint64_t handed_before = handed_off();
  // ARP from the callee lands on worker 0's trunk queue: worker 1 (the trunk's owner) snoops it
  // into the trunk's neighbour table and punts it to the trunk TAP.
  inject_wire(kTrunk, build_arp(RTE_ARP_OP_REPLY, callee_mac(), callee_ip(), trunk_ip()), 0);
  poll_worker(0);
  EXPECT_EQ(sent_on(lab().tap[kTrunk], 0), 0u);
  EXPECT_EQ(events(Event::kNeighbourLearned), 0u);
  poll_worker(1);
  EXPECT_EQ(sent_on(lab().tap[kTrunk], 0), 1u);
  EXPECT_EQ(events(Event::kNeighbourLearned), 1u);
  NeighbourTable::Mac learned{};
  EXPECT_TRUE((*neighbours_)[kTrunk].lookup(htonl(callee_ip()), &learned));

  // SIP on worker 0's trunk queue: through worker 1's policer into the trunk TAP.
  inject_wire(kTrunk, build_udp(from_callee(5060, 5060)), 0);
  poll();
  EXPECT_EQ(sent_on(lab().tap[kTrunk], 0), 1u);
  EXPECT_EQ(handed_off(), handed_before + 2);

  // A banned source is dropped where it lands: it costs the owner nothing.
  ASSERT_EQ(ban(api::Address::ipv4(callee_ip())).status, api::Status::kOk);
  inject_wire(kTrunk, build_udp(from_callee(5060, 5060)), 0);
  poll();
  EXPECT_EQ(sent_on(lab().tap[kTrunk], 0), 0u);
  EXPECT_EQ(drops(Drop::kBannedSource), 1u);
  EXPECT_EQ(handed_off(), handed_before + 2);
}

TEST_F(RssWorkerTest, AFullHandoffRingDropsAndCounts) {
  learn_peers();
  ASSERT_EQ(add(session(1)).status, api::Status::kOk);
  inject_wire(kAccess, build_udp(from_caller(20000)), 1);
  poll();
  ASSERT_EQ(sent_on(lab().wire[kTrunk], 1), 1u);
  // Worker 1 stalls while worker 0 receives its stream's packets: the ring fills, the rest is
  // dropped and counted, and worker 0 never waits.
  const uint32_t capacity = rte_ring_get_capacity(worker(1).handoff);
  uint32_t sent = 0;
  while (sent < capacity + 10) {
    const uint32_t batch = std::min(capacity + 10 - sent, 512u);
    for (uint32_t i = 0; i < batch; ++i) inject_wire(kAccess, build_udp(from_caller(20000)), 0);
    while (rte_ring_count(lab().wire[kAccess].rx[0]) != 0) poll_worker(0);
    sent += batch;
  }
  EXPECT_EQ(rte_ring_count(worker(1).handoff), capacity);
  EXPECT_EQ(drops(Drop::kHandoffFailed), 10u);
  // Worker 1 catches up: everything that was handed over is relayed.
  uint64_t relayed = 0;
  for (int i = 0; i < 64 && rte_ring_count(worker(1).handoff) != 0; ++i) {
    poll_worker(1);
    relayed += sent_on(lab().wire[kTrunk], 1);
  }
  EXPECT_EQ(relayed, capacity);
}

}  // namespace
}  // namespace sbc::dp::test
