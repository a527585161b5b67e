#include "dataplane/media/codecs/telephone_event.h"

#include <gtest/gtest.h>

#include <array>

namespace sbc::dp {
namespace {

TEST(TelephoneEventTest, DigitsAndTonesFollowQ23) {
  EXPECT_EQ(dtmf_tones(1), (DtmfTones{697, 1209}));
  EXPECT_EQ(dtmf_tones(0), (DtmfTones{941, 1336}));
  EXPECT_EQ(dtmf_tones(11), (DtmfTones{941, 1477}));  // #
  EXPECT_EQ(dtmf_tones(15), (DtmfTones{941, 1633}));  // D
  EXPECT_FALSE(dtmf_tones(16).has_value());
  EXPECT_EQ(dtmf_digit(10), '*');
  EXPECT_EQ(dtmf_code('b'), 13);
  EXPECT_FALSE(dtmf_code('x').has_value());
  std::array<uint8_t, 4> bytes{};
  write_telephone_event({.code = 11, .end = true, .volume = 63, .duration = 0x1234}, bytes);
  EXPECT_EQ(bytes, (std::array<uint8_t, 4>{11, 0xbf, 0x12, 0x34}));
  const TelephoneEvent back = read_telephone_event(bytes);
  EXPECT_TRUE(back.end);
  EXPECT_EQ(back.volume, 63);
  EXPECT_EQ(back.duration, 0x1234);
  bytes[1] = 0x40 | 5;  // the R bit is ignored
  EXPECT_EQ(read_telephone_event(bytes).volume, 5);
}

}  // namespace
}  // namespace sbc::dp
