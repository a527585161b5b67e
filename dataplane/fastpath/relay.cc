#include "dataplane/fastpath/relay.h"

namespace sbc::dp {

void request_neighbour(Worker& w, uint8_t port_index, uint32_t ip_be, uint64_t now_tsc) {
  if (!w.arp_limiter.allow(port_index, ip_be, now_tsc, w.dp->tsc_hz)) return;  // 1 per s per IP
  rte_mbuf* m = rte_pktmbuf_alloc(w.dp->pool);
  if (!m) {
    w.counters.drop(Drop::kNoMbuf);
    return;
  }
  constexpr uint16_t kFrameLen = RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN;  // 60: padded
  auto* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kFrameLen));
  if (!frame) {
    rte_pktmbuf_free(m);
    w.counters.drop(Drop::kNoMbuf);
    return;
  }
  std::memset(frame, 0, kFrameLen);
  const PortView& port = w.dp->ports[port_index];
  auto* eth = reinterpret_cast<rte_ether_hdr*>(frame);
  std::memset(eth->dst_addr.addr_bytes, 0xff, RTE_ETHER_ADDR_LEN);
  eth->src_addr = port.mac;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = RTE_ETHER_ADDR_LEN;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
  arp->arp_data.arp_sha = port.mac;
  arp->arp_data.arp_sip = port.ip_be;
  arp->arp_data.arp_tip = ip_be;
  w.counters.event(Event::kArpRequestSent);
  transmit(w, port_index, m);
}

}  // namespace sbc::dp
