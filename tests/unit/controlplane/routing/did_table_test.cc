#include "controlplane/routing/did_table.h"

#include <gtest/gtest.h>

namespace sbc::cp {
namespace {

DidConfig did(std::string name, std::vector<std::string> numbers,
              std::vector<std::string> trunks = {}) {
  DidConfig d;
  d.name = std::move(name);
  d.numbers = std::move(numbers);
  d.trunks = std::move(trunks);
  return d;
}

const char* name_of(const DidConfig* d) {
  return d ? d->name.c_str() : "none";
}

TEST(DidTableTest, LongestPrefixWinsAndATrunksOwnEntryBeatsAGeneralOne) {
  const std::vector<DidConfig> dids = {
      did("block", {"+1555000"}),
      did("sales", {"+15550001000", "+15550001001"}),
      did("ported", {"+1555000"}, {"carrier2"}),
  };
  const DidTable table(dids);
  EXPECT_STREQ(name_of(table.match("carrier1", "+15550001000")), "sales");
  EXPECT_STREQ(name_of(table.match("carrier1", "+15550002000")), "block");
  EXPECT_STREQ(name_of(table.match("carrier2", "+15550002000")), "ported");
  EXPECT_STREQ(name_of(table.match("carrier2", "+15550001001")), "sales");
  EXPECT_EQ(table.match("carrier1", "+15551234567"), nullptr);
  EXPECT_EQ(table.match("carrier1", "+1555"), nullptr) << "shorter than every prefix";
}

TEST(DidTableTest, AnEntryWithoutNumbersServesEveryOtherNumber) {
  const std::vector<DidConfig> dids = {did("rest", {}), did("support", {"+1555000"}, {"c1"})};
  const DidTable table(dids);
  EXPECT_STREQ(name_of(table.match("c1", "+15550001234")), "support");
  EXPECT_STREQ(name_of(table.match("c2", "+15550001234")), "rest");
  EXPECT_STREQ(name_of(table.match("", "alice")), "rest");
  EXPECT_TRUE(DidTable(std::vector<DidConfig>{}).empty());
}

}  // namespace
}  // namespace sbc::cp
