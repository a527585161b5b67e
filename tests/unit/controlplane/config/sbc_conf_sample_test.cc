// config/sbc.conf, the documented sample, must stay a valid configuration that is safe as shipped
// (issue 8): its access zone is screened, limits and toll-fraud rules stay off until configured.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "controlplane/config/config.h"

namespace sbc::cp {
namespace {

TEST(SbcConfSampleTest, ParsesSafeAsShipped) {
  auto config = load_config(SBC_SAMPLE_CONFIG);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_TRUE(config->users.empty());
  EXPECT_TRUE(config->security.allowlist.empty());
  EXPECT_EQ(config->security.limits, CallLimits{});
  EXPECT_TRUE(config->security.blocked_prefixes.empty());
  // Nobody outside the access network reaches the zone, and inside it only the PBX calls out
  // without digest: no open access.
  const ZoneConfig& access = config->access_zone();
  EXPECT_FALSE(access.allow_open_access);
  EXPECT_FALSE(access.acl_allow.empty());
  EXPECT_EQ(access.authenticate,
            (std::vector<sip::Method>{sip::Method::kRegister, sip::Method::kInvite}));
  EXPECT_FALSE(access.trusted.empty());
  EXPECT_TRUE(access.acl_deny.empty());
  for (const TrunkConfig& t : config->trunks) EXPECT_EQ(t.limits, CallLimits{}) << t.name;
}

// Every commented example (";key = value", ";[section]"; prose comments are "; text"), made
// active, forms a valid configuration too: the documentation cannot drift from the parser.
TEST(SbcConfSampleTest, CommentedExamplesParse) {
  std::ifstream in(SBC_SAMPLE_CONFIG);
  ASSERT_TRUE(in.good());
  std::string active;
  for (std::string line; std::getline(in, line);) {
    if (line.size() > 1 && line[0] == ';' && line[1] != ' ') line.erase(0, 1);
    active += line + "\n";
  }
  auto config = parse_config(active);
  ASSERT_TRUE(config.has_value()) << config.error();
  const UserConfig* alice = config->find_user("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_FALSE(alice->secret.empty());
  EXPECT_FALSE(config->zones[0].authenticate.empty());
  EXPECT_FALSE(config->zones[0].acl_allow.empty());
  EXPECT_FALSE(config->zones[0].trusted.empty());
  EXPECT_FALSE(config->security.allowlist.empty());
  EXPECT_FALSE(config->security.blocked_prefixes.empty());
  EXPECT_NE(config->security.limits, CallLimits{});
  EXPECT_NE(config->trunks[0].limits, CallLimits{});
  EXPECT_NE(config->media.max_packet_rate, 0u);
  EXPECT_EQ(config->zones[0].media.srtp_suites.size(), 2u);
  EXPECT_EQ(config->trunks[0].media.profile, MediaProfile::kRtp);
  EXPECT_EQ(config->zones[0].media.codecs.size(), 5u);
  EXPECT_EQ(config->trunks[0].media.dtmf, DtmfMode::kRfc4733);
}

}  // namespace
}  // namespace sbc::cp
