// A port's media addresses (port.NAME.media_addresses): legs may use any of them as their local
// address, media to them is relayed like media to the port's own address, and the other leg sees
// the leg's own address as the source; an address outside the range is refused at session add.
#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

class MediaAddressTest : public DataplaneTest {
 protected:
  // Access: 192.0.2.50-192.0.2.59 besides 192.0.2.1.
  Ipv4Range media_addresses(uint8_t port) const override {
    return port == kAccess ? Ipv4Range{ip(192, 0, 2, 50), ip(192, 0, 2, 59)} : Ipv4Range{};
  }
  api::SessionAdd on_media_address(uint64_t id, uint32_t local) const {
    api::SessionAdd s = session(id, 20000, static_cast<uint16_t>(30000 + 2 * id));
    s.legs[0].local = api::Address::ipv4(local);
    return s;
  }
};

TEST_F(MediaAddressTest, ALegOnAMediaAddressIsRelayedBothWays) {
  learn_peers();
  ASSERT_EQ(add(on_media_address(1, ip(192, 0, 2, 57))).status, api::Status::kOk);
  // The same local UDP port on another media address is another session.
  ASSERT_EQ(add(on_media_address(2, ip(192, 0, 2, 58))).status, api::Status::kOk);

  UdpFrame in = from_caller(20000);
  in.dst_ip = ip(192, 0, 2, 57);
  inject_wire(kAccess, build_udp(in));
  poll();
  auto out = wire_out(kTrunk);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse_udp(out[0])->dst_ip, callee_ip());
  free_all(out);
  EXPECT_EQ(leg_stats(1, 0).rtp.packets, 1u);
  EXPECT_EQ(leg_stats(2, 0).rtp.packets, 0u);

  // The callee's answer leaves the access port from the caller leg's own address.
  inject_wire(kTrunk, build_udp(from_callee(30002)));
  poll();
  out = wire_out(kAccess);
  ASSERT_EQ(out.size(), 1u);
  auto back = parse_udp(out[0]);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->src_ip, ip(192, 0, 2, 57));
  EXPECT_EQ(back->src_port, 20000);
  EXPECT_TRUE(back->ip_checksum_ok);
  EXPECT_TRUE(back->udp_checksum_ok);
  free_all(out);
}

TEST_F(MediaAddressTest, AnAddressOutsideTheRangeIsRefused) {
  const api::Result outside = add(on_media_address(1, ip(192, 0, 2, 60)));
  EXPECT_EQ(outside.status, api::Status::kInvalid);
  EXPECT_NE(outside.detail.find("is not one of port 0's addresses"), std::string::npos)
      << outside.detail;
  // Another port's media range is not this port's either.
  api::SessionAdd wrong_port = session(2);
  wrong_port.legs[1].local = api::Address::ipv4(ip(192, 0, 2, 55));
  EXPECT_EQ(add(wrong_port).status, api::Status::kInvalid);
}

TEST_F(MediaAddressTest, UdpToAMediaAddressWithoutASessionIsNotPunted) {
  ASSERT_EQ(service_->media_ports_set({20000, 29999}).status, api::Status::kOk);
  UdpFrame probe = from_caller(20002);
  probe.dst_ip = ip(192, 0, 2, 52);
  inject_wire(kAccess, build_udp(probe));
  poll();
  EXPECT_TRUE(tap_out(kAccess).empty());
  EXPECT_EQ(drops(Drop::kNoSession), 1u);
}

}  // namespace
}  // namespace sbc::dp::test
