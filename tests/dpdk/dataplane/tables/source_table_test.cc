// The source table on its own: entries, replacement, expiry, capacity and key-slot recycling
// through the RCU defer queue. What the workers do with it is in
// tests/dpdk/dataplane/fastpath/relay_guard_test.cc.
#include "dataplane/tables/source_table.h"

#include "tests/dpdk/test_lab.h"

namespace sbc::dp::test {
namespace {

class SourceTableTest : public DataplaneTest {
 protected:
  uint32_t max_sources() const override { return 8; }
  static api::Address v4(uint8_t last) { return api::Address::ipv4(ip(203, 0, 113, last)); }
  std::optional<SourceEntry> find(const api::Address& a) const { return sources_->find(a, now_); }
  uint32_t count(api::SourceClass cls) const { return sources_->count(cls, now_); }
};

TEST_F(SourceTableTest, AddReplaceDelete) {
  EXPECT_TRUE(sources_->empty());
  ASSERT_EQ(ban(v4(1)).status, api::Status::kOk);
  EXPECT_FALSE(sources_->empty());
  ASSERT_TRUE(find(v4(1)));
  EXPECT_EQ(find(v4(1))->cls, api::SourceClass::kBanned);
  EXPECT_EQ(find(v4(1))->expiry_tsc, 0u);
  EXPECT_FALSE(find(v4(2)));
  EXPECT_EQ(count(api::SourceClass::kBanned), 1u);

  // The same address again replaces class and expiry: still one entry.
  ASSERT_EQ(trust(v4(1), 1000).status, api::Status::kOk);
  EXPECT_EQ(sources_->size(), 1u);
  EXPECT_EQ(find(v4(1))->cls, api::SourceClass::kTrusted);
  EXPECT_EQ(find(v4(1))->expiry_tsc, now_ + hz_);
  EXPECT_EQ(count(api::SourceClass::kBanned), 0u);
  EXPECT_EQ(count(api::SourceClass::kTrusted), 1u);
  // ... and back to "until deleted".
  ASSERT_EQ(ban(v4(1)).status, api::Status::kOk);
  EXPECT_EQ(find(v4(1))->expiry_tsc, 0u);

  EXPECT_EQ(service_->source_delete({v4(1)}, now_).status, api::Status::kOk);
  EXPECT_FALSE(find(v4(1)));
  EXPECT_TRUE(sources_->empty());
  EXPECT_EQ(service_->source_delete({v4(1)}, now_).status, api::Status::kNotFound);
}

TEST_F(SourceTableTest, Ipv6AndV4MappedAddresses) {
  ASSERT_EQ(ban(api::Address::parse("2001:db8::66")).status, api::Status::kOk);
  EXPECT_TRUE(find(api::Address::parse("2001:db8::66")));
  EXPECT_FALSE(find(api::Address::parse("2001:db8::67")));
  // ::ffff:203.0.113.5 is 203.0.113.5: one entry, found and deleted under either form.
  ASSERT_EQ(ban(api::Address::parse("::ffff:203.0.113.5")).status, api::Status::kOk);
  EXPECT_TRUE(find(v4(5)));
  ASSERT_EQ(trust(v4(5)).status, api::Status::kOk);
  EXPECT_EQ(sources_->size(), 2u);
  EXPECT_EQ(find(api::Address::parse("::ffff:203.0.113.5"))->cls, api::SourceClass::kTrusted);
  EXPECT_EQ(service_->source_delete({api::Address::parse("::ffff:203.0.113.5")}, now_).status,
            api::Status::kOk);
  EXPECT_FALSE(find(v4(5)));
}

TEST_F(SourceTableTest, ExpiredEntriesReadAsAbsentAndAreSwept) {
  ASSERT_EQ(ban(v4(1), 500).status, api::Status::kOk);
  ASSERT_EQ(ban(v4(2), 2000).status, api::Status::kOk);
  ASSERT_EQ(trust(v4(3)).status, api::Status::kOk);
  advance_ms(499);
  EXPECT_TRUE(find(v4(1)));
  advance_ms(1);
  EXPECT_FALSE(find(v4(1)));  // before any sweep
  EXPECT_EQ(count(api::SourceClass::kBanned), 1u);
  EXPECT_EQ(sources_->size(), 3u);
  service_->housekeeping(now_);
  EXPECT_EQ(sources_->size(), 2u);
  // Deleting an entry that lapsed is "not found", whether swept or not.
  advance_ms(1500);
  EXPECT_EQ(service_->source_delete({v4(2)}, now_).status, api::Status::kNotFound);
  EXPECT_EQ(sources_->size(), 1u);
  EXPECT_TRUE(find(v4(3)));  // no expiry
  advance_ms(1000 * 3600);
  service_->housekeeping(now_);
  EXPECT_TRUE(find(v4(3)));
}

TEST_F(SourceTableTest, FullTableRefusesNewAddressesOnly) {
  for (uint8_t i = 1; i <= 8; ++i) ASSERT_EQ(ban(v4(i), i == 1 ? 100 : 0).status, api::Status::kOk);
  const api::Result full = ban(v4(9));
  EXPECT_EQ(full.status, api::Status::kNoResources);
  EXPECT_NE(full.detail.find("source table full"), std::string::npos);
  EXPECT_EQ(trust(v4(8)).status, api::Status::kOk);  // an existing entry may still change
  // A lapsed entry makes room without waiting for the periodic sweep.
  advance_ms(100);
  EXPECT_EQ(ban(v4(9)).status, api::Status::kOk);
  EXPECT_FALSE(find(v4(1)));
  EXPECT_EQ(sources_->size(), 8u);
}

TEST_F(SourceTableTest, FlushEmptiesTheTableAndSlotsComeBackAfterTheGracePeriod) {
  // Many more add/flush rounds than the hash has key slots: deleted slots must be recycled once
  // the worker has passed a quiescent state.
  const uint32_t rounds = SourceTable::hash_entries(max_sources()) / max_sources() * 3;
  for (uint32_t round = 0; round < rounds; ++round) {
    for (uint8_t i = 1; i <= 8; ++i) {
      ASSERT_EQ(ban(api::Address::ipv4(ip(10, static_cast<uint8_t>(round), 0, i))).status,
                api::Status::kOk)
          << "round " << round;
    }
    EXPECT_EQ(service_->source_flush().status, api::Status::kOk);
    EXPECT_TRUE(sources_->empty());
    poll();  // the worker's quiescent state ends the grace period
  }
  EXPECT_EQ(count(api::SourceClass::kBanned), 0u);
}

TEST_F(SourceTableTest, RefusesUnsetAddressesAndUnknownClasses) {
  EXPECT_EQ(service_->source_add({api::Address{}, api::SourceClass::kBanned, 0}, now_).status,
            api::Status::kInvalid);
  EXPECT_EQ(service_->source_add({v4(1), api::SourceClass{9}, 0}, now_).status,
            api::Status::kInvalid);
  EXPECT_EQ(service_->source_delete({api::Address{}}, now_).status, api::Status::kInvalid);
  EXPECT_TRUE(sources_->empty());
}

TEST_F(SourceTableTest, LongDurationsDoNotOverflow) {
  ASSERT_EQ(ban(v4(1), UINT32_MAX).status, api::Status::kOk);  // ~49 days
  const uint64_t expected =
      now_ + uint64_t{UINT32_MAX} / 1000 * hz_ + UINT32_MAX % 1000 * hz_ / 1000;
  EXPECT_EQ(find(v4(1))->expiry_tsc, expected);
  advance_ms(48ull * 24 * 3600 * 1000);
  EXPECT_TRUE(find(v4(1)));
}

TEST(SourceKeys, PackAndMapping) {
  const SourceEntry entry{api::SourceClass::kTrusted, 123456789};
  EXPECT_NE(entry.pack(), 0u);
  EXPECT_EQ(SourceEntry::unpack(entry.pack()).cls, api::SourceClass::kTrusted);
  EXPECT_EQ(SourceEntry::unpack(entry.pack()).expiry_tsc, 123456789u);
  EXPECT_TRUE(entry.live(123456788));
  EXPECT_FALSE(entry.live(123456789));
  EXPECT_EQ(source_key_of(api::Address::parse("::ffff:192.0.2.1")),
            source_key_of(api::Address::parse("192.0.2.1")));
  EXPECT_NE(source_key_of(api::Address::parse("::192.0.2.1")),
            source_key_of(api::Address::parse("192.0.2.1")));  // v4-compatible is not mapped
  EXPECT_FALSE(source_key_of(api::Address{}).has_value());
}

}  // namespace
}  // namespace sbc::dp::test
