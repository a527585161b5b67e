// One call's media: ports leased on both sides, SDP anchored toward each side with our own o=
// version, the session spec, the claim of a kept session's ports.
#include "controlplane/media/media_session.h"

#include <gtest/gtest.h>

#include <string>

namespace sbc::cp {
namespace {

api::PortInfo port_info(uint8_t index, const char* address) {
  api::PortInfo info;
  info.index = index;
  info.name = index == 0 ? "access" : "trunk";
  info.address = api::Address::parse(address);
  return info;
}

const api::PortInfo kAccess = port_info(0, "192.0.2.1");
const api::PortInfo kTrunk = port_info(1, "198.51.100.1");

SdpBody body(const std::string& text) {
  auto parsed = SdpBody::parse(text);
  if (!parsed) std::abort();
  return *parsed;
}

TEST(MediaSessionTest, OpenLeasesAPairOnEachSideAndReleasesThemWithTheSession) {
  MediaPortAllocator ports(20000, 20009);
  {
    auto session = MediaSession::open(7, ports, kAccess, kTrunk);
    ASSERT_TRUE(session.has_value());
    EXPECT_EQ(session->id(), 7u);
    EXPECT_EQ(session->leased(), 2u);
    EXPECT_EQ(session->leg(kCaller).dataplane_port, 0);
    EXPECT_EQ(session->leg(kCaller).local, kAccess.address);
    EXPECT_EQ(session->leg(kCaller).local_port, 20000);
    EXPECT_EQ(session->leg(kCallee).dataplane_port, 1);
    EXPECT_EQ(session->leg(kCallee).local_port, 20000);
    EXPECT_EQ(ports.in_use(0), 1u);
    EXPECT_EQ(ports.in_use(1), 1u);
  }
  EXPECT_EQ(ports.in_use(0), 0u);
  EXPECT_EQ(ports.in_use(1), 0u);
}

TEST(MediaSessionTest, FailedOpenKeepsNoPort) {
  MediaPortAllocator ports(20000, 20001);  // one pair per dataplane port
  auto held = PortLease::allocate(ports, 1);
  ASSERT_TRUE(held.has_value());
  auto session = MediaSession::open(7, ports, kAccess, kTrunk);
  ASSERT_FALSE(session.has_value());
  EXPECT_EQ(session.error().side, kCallee);
  EXPECT_EQ(session.error().error, MediaPortError::kExhausted);
  EXPECT_EQ(ports.in_use(0), 0u) << "the caller side's pair went back";
}

TEST(MediaSessionTest, AnchorsTowardEachSideWithItsOwnVersion) {
  MediaPortAllocator ports(20000, 20009);
  MediaSession session = *MediaSession::open(42, ports, kAccess, kTrunk);
  const SdpBody offer = body(
      "v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
      "m=audio 6000 RTP/AVP 0\r\na=rtcp:6001\r\n");
  const AudioEndpoint audio = *anchorable_audio(offer.description());
  session.set_remote(kCaller, audio);
  EXPECT_EQ(session.leg(kCaller).remote, api::Address::parse("192.0.2.10"));
  EXPECT_EQ(session.leg(kCaller).remote_port, 6000);
  EXPECT_EQ(session.leg(kCaller).remote_rtcp_port, 6001);
  auto first = session.anchor(kCallee, offer, audio);
  ASSERT_TRUE(first.has_value());
  EXPECT_NE(first->find("o=sbc 42 1 IN IP4 198.51.100.1\r\n"), std::string::npos) << *first;
  EXPECT_NE(first->find("m=audio 20000 RTP/AVP 0\r\na=rtcp:20001 IN IP4 198.51.100.1\r\n"),
            std::string::npos)
      << *first;
  auto second = session.anchor(kCallee, offer, audio);
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->find("o=sbc 42 2 "), std::string::npos) << "our version bumps per description";
  auto toward_caller = session.anchor(kCaller, offer, audio);
  EXPECT_NE(toward_caller->find("o=sbc 42 1 IN IP4 192.0.2.1\r\n"), std::string::npos)
      << "each side has its own version";
  EXPECT_EQ(session.leg(kCallee).sdp_version, 2u);
}

// A handled transfer whose target is on another dataplane port: offered at a pair leased there,
// then the side moves to it and the old pair comes back in the lease, given back when dropped.
TEST(MediaSessionTest, ASideMovesToAPairOnAnotherPort) {
  MediaPortAllocator ports(20000, 20009);
  MediaSession session = *MediaSession::open(42, ports, kAccess, kTrunk);
  const SdpBody offer = body(
      "v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
      "m=audio 6000 RTP/AVP 0\r\n");
  const AudioEndpoint audio = *anchorable_audio(offer.description());
  auto lease = PortLease::allocate(ports, kTrunk.index);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->rtp_port(), 20002);
  auto at = session.anchor_at(kCaller, offer, audio, kTrunk.address, lease->rtp_port());
  ASSERT_TRUE(at.has_value());
  EXPECT_NE(at->find("c=IN IP4 198.51.100.1\r\nt=0 0\r\nm=audio 20002 "), std::string::npos) << *at;
  EXPECT_EQ(session.leg(kCaller).local_port, 20000);  // nothing moved yet

  session.move_leg(kCaller, *lease, kTrunk.index, kTrunk.address);
  EXPECT_EQ(session.leg(kCaller).dataplane_port, kTrunk.index);
  EXPECT_EQ(session.leg(kCaller).local, kTrunk.address);
  EXPECT_EQ(session.leg(kCaller).local_port, 20002);
  EXPECT_EQ(lease->dataplane_port(), kAccess.index);  // the old pair, still held
  EXPECT_EQ(lease->rtp_port(), 20000);
  EXPECT_EQ(ports.in_use(kAccess.index), 1u);
  lease->reset();
  EXPECT_EQ(ports.in_use(kAccess.index), 0u);
  EXPECT_EQ(ports.in_use(kTrunk.index), 2u);
  EXPECT_EQ(session.leased(), 2u);
}

TEST(MediaSessionTest, SpecCarriesBothLegsAndArmsTheTimeoutOnceAnswered) {
  MediaPortAllocator ports(20000, 20009);
  MediaSession session = *MediaSession::open(9, ports, kAccess, kTrunk);
  AudioEndpoint callee;
  callee.address = api::Address::parse("198.51.100.10");
  callee.port = 7000;
  session.set_remote(kCallee, callee);
  MediaConfig config;
  config.timeout_s = 30;
  config.latch_window_ms = 1500;
  config.max_packet_rate = 400;
  const std::array<api::Address, 2> sources = {api::Address::parse("192.0.2.10"),
                                               api::Address::parse("198.51.100.10")};
  api::SessionAdd ringing = session.spec(config, false, sources);
  EXPECT_EQ(ringing.session_id, 9u);
  EXPECT_EQ(ringing.media_timeout_ms, 0u);
  EXPECT_EQ(ringing.latch_window_ms, 1500u);
  EXPECT_EQ(ringing.max_packet_rate, 400u);
  EXPECT_EQ(ringing.legs[kCallee].port, 1);
  EXPECT_EQ(ringing.legs[kCallee].local, kTrunk.address);
  EXPECT_EQ(ringing.legs[kCallee].local_rtp_port, 20000);
  EXPECT_EQ(ringing.legs[kCallee].remote_rtp_port, 7000);
  EXPECT_EQ(ringing.legs[kCaller].signalling_source, sources[kCaller]);
  EXPECT_EQ(session.spec(config, true, sources).media_timeout_ms, 30000u);
}

TEST(MediaSessionTest, RetireHandsOverTheLeasesAndKeepsTheAddresses) {
  MediaPortAllocator ports(20000, 20009);
  MediaSession session = *MediaSession::open(5, ports, kAccess, kTrunk);
  session.mark_programmed();
  MediaSession::Retired retired = session.retire();
  EXPECT_EQ(retired.id, 5u);
  EXPECT_TRUE(retired.programmed);
  EXPECT_FALSE(session.programmed());
  EXPECT_EQ(session.leased(), 0u);
  EXPECT_EQ(session.leg(kCaller).local_port, 0);
  EXPECT_EQ(session.leg(kCaller).local, kAccess.address);
  EXPECT_EQ(ports.in_use(0), 1u) << "the retired leases still hold the ports";
  retired.leases = {};
  EXPECT_EQ(ports.in_use(0), 0u);
  EXPECT_EQ(ports.in_use(1), 0u);
}

TEST(MediaSessionTest, ClaimLeasesAKeptSessionsPortsOrNone) {
  MediaPortAllocator ports(20000, 20009);
  MediaSession kept(3);
  kept.leg(kCaller).dataplane_port = 0;
  kept.leg(kCaller).local_port = 20004;
  kept.leg(kCallee).dataplane_port = 1;
  kept.leg(kCallee).local_port = 20006;
  auto other = PortLease::claim(ports, 1, 20006);  // the callee side's pair is taken
  ASSERT_TRUE(other.has_value());
  auto refused = kept.claim_ports(ports);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().side, kCallee);
  EXPECT_EQ(ports.in_use(0), 0u) << "nothing stays leased on error";
  other->reset();
  ASSERT_TRUE(kept.claim_ports(ports).has_value());
  EXPECT_EQ(kept.leased(), 2u);
  EXPECT_EQ(ports.in_use(0), 1u);
  EXPECT_EQ(ports.in_use(1), 1u);
}

}  // namespace
}  // namespace sbc::cp
