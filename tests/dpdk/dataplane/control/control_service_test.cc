// The dataplane's control operations called directly, as ControlServer does once it has decoded a
// request: what each one answers and what it changes in the tables.
#include "dataplane/control/control_service.h"

#include <limits>

#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

class ControlServiceTest : public DataplaneTest {
 protected:
  // Session `id` on its own pair of local ports.
  api::SessionAdd numbered(uint64_t id) const {
    return session(id, static_cast<uint16_t>(20000 + 2 * id),
                   static_cast<uint16_t>(30000 + 2 * id));
  }
  api::StatsReply totals() {
    auto stats = service_->stats({0}, now_);
    EXPECT_TRUE(stats.has_value());
    return stats ? *stats : api::StatsReply{};
  }
  static uint64_t counter(const std::vector<api::Counter>& counters, std::string_view name) {
    for (const api::Counter& c : counters) {
      if (c.name == name) return c.value;
    }
    ADD_FAILURE() << "no counter " << name;
    return 0;
  }
};

TEST_F(ControlServiceTest, HelloNamesThePortsTheCapacityAndTheMessageSize) {
  api::Hello hello;
  hello.max_message_size = 4096;
  api::HelloReply reply = service_->hello(hello);
  EXPECT_EQ(reply.max_message_size, 4096u);
  EXPECT_EQ(reply.peer_name, "sbc-dataplane");
  EXPECT_EQ(reply.max_sessions, 1024u);
  ASSERT_EQ(reply.ports.size(), 2u);
  EXPECT_EQ(reply.ports[0].index, 0u);
  EXPECT_EQ(reply.ports[0].name, "access");
  EXPECT_EQ(reply.ports[0].address, api::Address::ipv4(access_ip()));
  EXPECT_EQ(reply.ports[0].prefix_length, 24u);
  for (size_t b = 0; b < 6; ++b) EXPECT_EQ(reply.ports[0].mac[b], port_mac(kAccess).addr_bytes[b]);
  EXPECT_EQ(reply.ports[1].index, 1u);
  EXPECT_EQ(reply.ports[1].name, "trunk");
  EXPECT_EQ(reply.ports[1].address, api::Address::ipv4(trunk_ip()));
  // A client asking for more than the protocol allows gets the protocol's limit.
  hello.max_message_size = 2 * api::kMaxMessageSize;
  EXPECT_EQ(service_->hello(hello).max_message_size, api::kMaxMessageSize);
}

TEST_F(ControlServiceTest, DeletesOfWhatIsNotThereAreNotFound) {
  EXPECT_EQ(service_->session_delete({7}),
            (api::Result{api::Status::kNotFound, "no such session"}));
  ASSERT_EQ(add(numbered(7)).status, api::Status::kOk);
  EXPECT_EQ(totals().active_sessions, 1u);
  EXPECT_EQ(service_->session_delete({7}), api::Result{});
  EXPECT_EQ(totals().active_sessions, 0u);

  const api::Address source = api::Address::parse("192.0.2.66");
  EXPECT_EQ(service_->source_delete({source}, now_),
            (api::Result{api::Status::kNotFound, "no such source"}));
  EXPECT_EQ(service_->source_delete({api::Address{}}, now_),
            (api::Result{api::Status::kInvalid, "source address is unset"}));
  ASSERT_EQ(ban(source).status, api::Status::kOk);
  EXPECT_EQ(service_->source_delete({source}, now_), api::Result{});
  EXPECT_EQ(totals().banned_sources, 0u);
}

TEST_F(ControlServiceTest, SourceTableCountsByClassAndFlushEmptiesIt) {
  ASSERT_EQ(ban(api::Address::parse("192.0.2.66")).status, api::Status::kOk);
  ASSERT_EQ(ban(api::Address::parse("2001:db8::66")).status, api::Status::kOk);
  ASSERT_EQ(trust(api::Address::parse("198.51.100.10")).status, api::Status::kOk);
  api::StatsReply before = totals();
  EXPECT_EQ(before.banned_sources, 2u);
  EXPECT_EQ(before.trusted_sources, 1u);
  EXPECT_EQ(service_->source_flush(), api::Result{});
  api::StatsReply after = totals();
  EXPECT_EQ(after.banned_sources, 0u);
  EXPECT_EQ(after.trusted_sources, 0u);
}

TEST_F(ControlServiceTest, MediaPortsSetRefusesAnInvertedRangeAndKeepsTheOldOne) {
  EXPECT_EQ(service_->media_ports_set({20000, 29999}), api::Result{});
  EXPECT_TRUE(datapath_->media_ports.contains(25000));
  EXPECT_FALSE(datapath_->media_ports.contains(30000));
  const api::Result inverted = service_->media_ports_set({30000, 20000});
  EXPECT_EQ(inverted,
            (api::Result{api::Status::kInvalid, "media port range 30000..20000 is inverted"}));
  EXPECT_EQ(datapath_->media_ports.port_min(), 20000u);
  EXPECT_EQ(datapath_->media_ports.port_max(), 29999u);
  // A range of one port is no inversion.
  EXPECT_EQ(service_->media_ports_set({30000, 30000}), api::Result{});
  EXPECT_TRUE(datapath_->media_ports.contains(30000));
  EXPECT_FALSE(datapath_->media_ports.contains(30001));
  // port_min 0 turns the range off, whatever port_max says.
  EXPECT_EQ(service_->media_ports_set({0, 5}), api::Result{});
  EXPECT_FALSE(datapath_->media_ports.contains(25000));
}

TEST_F(ControlServiceTest, BatchAppliesItemsInOrderEachWithItsOwnResult) {
  const api::Address source = api::Address::parse("192.0.2.66");
  api::Batch batch;
  batch.items = {numbered(1),
                 api::SessionDelete{1},
                 api::SessionDelete{1},  // already gone: fails alone
                 numbered(2),
                 api::SourceAdd{source, api::SourceClass::kTrusted, 0},
                 api::SourceDelete{source},
                 api::SourceDelete{source}};
  const api::BatchReply reply = service_->batch(batch, now_);
  ASSERT_EQ(reply.results.size(), 7u);
  EXPECT_EQ(reply.results[0].status, api::Status::kOk);
  EXPECT_EQ(reply.results[1].status, api::Status::kOk);
  EXPECT_EQ(reply.results[2].status, api::Status::kNotFound);
  EXPECT_EQ(reply.results[3].status, api::Status::kOk);
  EXPECT_EQ(reply.results[4].status, api::Status::kOk);
  EXPECT_EQ(reply.results[5].status, api::Status::kOk);
  EXPECT_EQ(reply.results[6].status, api::Status::kNotFound);
  const api::StatsReply after = totals();
  EXPECT_EQ(after.active_sessions, 1u);  // session 2
  EXPECT_EQ(after.trusted_sources, 0u);
  EXPECT_TRUE(service_->stats({2}, now_).has_value());
  EXPECT_FALSE(service_->stats({1}, now_).has_value());
}

TEST_F(ControlServiceTest, StatsNameEveryDropAndEventAndAnswerNotFoundForAnUnknownSession) {
  const auto unknown = service_->stats({99}, now_);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error(), (api::Result{api::Status::kNotFound, "no such session"}));

  // A frame to a media port no session holds is dropped and counted by the worker.
  ASSERT_EQ(service_->media_ports_set({20000, 29999}), api::Result{});
  learn_peers();
  inject_wire(kAccess, build_udp(from_caller(21000)));
  poll();
  auto out = wire_out(kTrunk);
  EXPECT_TRUE(out.empty());
  free_all(out);
  out = tap_out(kAccess);
  free_all(out);

  const api::StatsReply stats = totals();
  ASSERT_EQ(stats.drops.size(), kDropCount);
  for (size_t d = 0; d < kDropCount; ++d) EXPECT_EQ(stats.drops[d].name, kDropNames[d]);
  ASSERT_EQ(stats.events.size(), kEventCount);
  for (size_t e = 0; e < kEventCount; ++e) EXPECT_EQ(stats.events[e].name, kEventNames[e]);
  EXPECT_EQ(counter(stats.drops, "no_session"), 1u);
  EXPECT_EQ(counter(stats.drops, "no_session"), drops(Drop::kNoSession));
  ASSERT_EQ(stats.ports.size(), 2u);
  EXPECT_EQ(stats.ports[0].name, "access");
  EXPECT_EQ(stats.ports[1].name, "trunk");
  EXPECT_TRUE(stats.legs.empty());  // totals only

  // One session's streams: two legs, nothing received yet.
  ASSERT_EQ(add(numbered(3)).status, api::Status::kOk);
  const auto one = service_->stats({3}, now_);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->session_id, 3u);
  ASSERT_EQ(one->legs.size(), 2u);
  EXPECT_EQ(one->legs[0].rtp.packets, 0u);
  EXPECT_EQ(one->legs[0].rtp.idle_ms, std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(one->legs[1].rtcp.latched, api::Address{});
  EXPECT_TRUE(one->drops.empty());
}

TEST_F(ControlServiceTest, DumpPagesBySessionId) {
  for (uint64_t id : {5, 1, 4, 2, 3}) ASSERT_EQ(add(numbered(id)).status, api::Status::kOk);
  api::DumpReply first = service_->dump({0, 2}, now_);
  ASSERT_EQ(first.sessions.size(), 2u);
  EXPECT_EQ(first.sessions[0].spec, numbered(1));
  EXPECT_EQ(first.sessions[1].spec.session_id, 2u);
  EXPECT_EQ(first.next_cursor, 3u);
  api::DumpReply second = service_->dump({first.next_cursor, 2}, now_);
  ASSERT_EQ(second.sessions.size(), 2u);
  EXPECT_EQ(second.sessions[0].spec.session_id, 3u);
  EXPECT_EQ(second.sessions[1].spec.session_id, 4u);
  EXPECT_EQ(second.next_cursor, 5u);
  api::DumpReply last = service_->dump({second.next_cursor, 2}, now_);
  ASSERT_EQ(last.sessions.size(), 1u);
  EXPECT_EQ(last.sessions[0].spec.session_id, 5u);
  EXPECT_EQ(last.next_cursor, 0u);  // the end
  // max_entries 0 still returns one: a client cannot ask for an empty page forever.
  api::DumpReply least = service_->dump({0, 0}, now_);
  ASSERT_EQ(least.sessions.size(), 1u);
  EXPECT_EQ(least.next_cursor, 2u);
  // All in one page by default.
  EXPECT_EQ(service_->dump({}, now_).sessions.size(), 5u);
}

TEST_F(ControlServiceTest, MediaTimeoutIsReportedOnceAndOnlyWhenDelivered) {
  api::SessionAdd silent = numbered(1);
  silent.media_timeout_ms = 1000;
  api::SessionAdd untimed = numbered(2);
  untimed.media_timeout_ms = 0;
  ASSERT_EQ(add(silent).status, api::Status::kOk);
  ASSERT_EQ(add(untimed).status, api::Status::kOk);
  std::vector<api::MediaTimeoutEvent> events;
  auto accept = [&](const api::MediaTimeoutEvent& e) {
    events.push_back(e);
    return true;
  };
  advance_ms(999);
  EXPECT_EQ(service_->scan_media_timeouts(now_, accept), 0u);
  EXPECT_TRUE(events.empty());
  advance_ms(1);
  // Nobody to tell: not reported, so the next scan tries again.
  size_t offered = 0;
  EXPECT_EQ(service_->scan_media_timeouts(now_,
                                          [&](const api::MediaTimeoutEvent&) {
                                            ++offered;
                                            return false;
                                          }),
            0u);
  EXPECT_EQ(offered, 1u);
  advance_ms(500);
  EXPECT_EQ(service_->scan_media_timeouts(now_, accept), 1u);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].session_id, 1u);
  EXPECT_EQ(events[0].idle_ms, 1500u);
  advance_ms(60'000);
  EXPECT_EQ(service_->scan_media_timeouts(now_, accept), 0u);  // once; the untimed one never
  EXPECT_EQ(events.size(), 1u);
}

}  // namespace
}  // namespace sbc::dp::test
