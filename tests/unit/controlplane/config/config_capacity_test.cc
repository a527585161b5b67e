// [sbcd] call_capacity, transaction_capacity, ended_call_capacity as read and checked by
// parse_config() (config_capacity.cc): "auto" or a number in range, and sizes that fit together.
#include <gtest/gtest.h>

#include <string>

#include "controlplane/config/config.h"
#include "tests/unit/controlplane/config_file_fixture.h"

namespace sbc::cp {
namespace {

const std::string kBase = testing::kTwoPortConfig;

std::expected<Config, std::string> with_sbcd(const std::string& options) {
  return parse_config(std::string(kBase) + "[sbcd]\n" + options);
}

std::string error_of(const std::string& options) {
  auto config = with_sbcd(options);
  return config ? std::string("(accepted)") : config.error();
}

TEST(ConfigCapacityTest, UnsetOrAutoLeavesItToBeDerived) {
  auto unset = parse_config(kBase);
  ASSERT_TRUE(unset.has_value()) << unset.error();
  EXPECT_EQ(unset->capacity.calls, 0u);  // derived at run time (capacity.h)
  EXPECT_EQ(unset->capacity.transactions, 0u);
  EXPECT_EQ(unset->capacity.ended_calls, 0u);
  auto set =
      with_sbcd("call_capacity = 200\ntransaction_capacity = 9000\nended_call_capacity = 300\n");
  ASSERT_TRUE(set.has_value()) << set.error();
  EXPECT_EQ(set->capacity.calls, 200u);
  EXPECT_EQ(set->capacity.transactions, 9000u);
  EXPECT_EQ(set->capacity.ended_calls, 300u);

  auto config =
      with_sbcd("call_capacity = auto\ntransaction_capacity = auto\nended_call_capacity = auto\n");
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->capacity.calls, 0u);
  EXPECT_EQ(config->capacity.transactions, 0u);
  EXPECT_EQ(config->capacity.ended_calls, 0u);
}

TEST(ConfigCapacityTest, CallsUpToWhatTheMediaPortsHold) {
  auto fits = with_sbcd("call_capacity = 500\n");
  ASSERT_TRUE(fits.has_value()) << fits.error();
  EXPECT_EQ(fits->capacity.calls, 500u);
  const std::string over = error_of("call_capacity = 501\n");
  EXPECT_NE(over.find("sbcd.call_capacity: 501 calls"), std::string::npos) << over;
  EXPECT_NE(over.find("(20000..20999)"), std::string::npos) << over;
  EXPECT_NE(over.find("500 calls at most"), std::string::npos) << over;
}

TEST(ConfigCapacityTest, OutOfRangeNamesTheOptionTheRangeAndAuto) {
  const std::string calls = error_of("call_capacity = 1000001\n");
  EXPECT_NE(calls.find("sbcd.call_capacity: '1000001' is not a whole number in 1..1000000"),
            std::string::npos)
      << calls;
  EXPECT_NE(calls.find("(or auto)"), std::string::npos) << calls;
  const std::string transactions = error_of("transaction_capacity = 4000001\n");
  EXPECT_NE(transactions.find("sbcd.transaction_capacity: '4000001'"), std::string::npos)
      << transactions;
  EXPECT_NE(transactions.find("1..4000000 (or auto)"), std::string::npos) << transactions;
  EXPECT_NE(error_of("call_capacity = 0\n").find("sbcd.call_capacity: '0'"), std::string::npos);
  EXPECT_NE(error_of("transaction_capacity = lots\n").find("sbcd.transaction_capacity: 'lots'"),
            std::string::npos);
  EXPECT_NE(error_of("ended_call_capacity = -1\n").find("sbcd.ended_call_capacity: '-1'"),
            std::string::npos);
  const std::string ended = error_of("ended_call_capacity = 0\n");
  EXPECT_NE(ended.find("sbcd.ended_call_capacity: '0'"), std::string::npos) << ended;
  EXPECT_NE(error_of("ended_call_capacity = AUTO\n").find("sbcd.ended_call_capacity"),
            std::string::npos);  // "auto" only, as written in the sample

  auto at_max = with_sbcd("transaction_capacity = 4000000\nended_call_capacity = 4000000\n");
  ASSERT_TRUE(at_max.has_value()) << at_max.error();
  EXPECT_EQ(at_max->capacity.transactions, 4'000'000u);
  EXPECT_EQ(at_max->capacity.ended_calls, 4'000'000u);
}

TEST(ConfigCapacityTest, TwoTransactionsPerCallWhenBothAreConfigured) {
  auto exact = with_sbcd("call_capacity = 400\ntransaction_capacity = 800\n");
  ASSERT_TRUE(exact.has_value()) << exact.error();
  EXPECT_EQ(exact->capacity.transactions, 800u);
  const std::string below = error_of("call_capacity = 400\ntransaction_capacity = 799\n");
  EXPECT_NE(below.find("sbcd.transaction_capacity: 799 is below two transactions per call of "
                       "sbcd.call_capacity (400)"),
            std::string::npos)
      << below;
  // With the calls derived at run time there is nothing to compare with here.
  auto derived_calls = with_sbcd("transaction_capacity = 1\n");
  ASSERT_TRUE(derived_calls.has_value()) << derived_calls.error();
  EXPECT_EQ(derived_calls->capacity.transactions, 1u);
}

}  // namespace
}  // namespace sbc::cp
