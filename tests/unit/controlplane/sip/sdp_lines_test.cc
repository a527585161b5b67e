// SDP line iteration (sdp_lines.h): each line with its own terminator, so a rewrite keeps the
// bytes it does not change; space-separated fields.
#include "controlplane/sip/sdp_lines.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sbc::cp::sip::sdp_detail {
namespace {

std::vector<SdpLine> lines_of(std::string_view text) {
  std::vector<SdpLine> out;
  size_t pos = 0;
  SdpLine line;
  while (next_line(text, pos, line)) out.push_back(line);
  EXPECT_EQ(pos, text.size());
  return out;
}

TEST(SdpLinesTest, EachLineKeepsItsOwnTerminator) {
  const std::string text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\nc=IN IP4 192.0.2.1";
  const auto lines = lines_of(text);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].type, 'v');
  EXPECT_EQ(lines[0].value, "0");
  EXPECT_EQ(lines[0].content, "v=0");
  EXPECT_EQ(lines[0].terminator, "\r\n");
  EXPECT_EQ(lines[1].type, 'o');
  EXPECT_EQ(lines[1].terminator, "\n");
  EXPECT_EQ(lines[2].type, 'c');
  EXPECT_EQ(lines[2].value, "IN IP4 192.0.2.1");
  EXPECT_EQ(lines[2].terminator, "");  // the last line without one
  // Content and terminators put together give the text back, byte for byte.
  std::string joined;
  for (const SdpLine& l : lines) joined += std::string(l.content) + std::string(l.terminator);
  EXPECT_EQ(joined, text);
}

TEST(SdpLinesTest, LinesThatAreNoTypeEqualsValue) {
  const auto lines = lines_of("\r\nx\nab=c\n=v\n");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].type, '\0');  // empty
  EXPECT_EQ(lines[0].content, "");
  EXPECT_EQ(lines[0].terminator, "\r\n");
  EXPECT_EQ(lines[1].type, '\0');  // too short
  EXPECT_EQ(lines[1].value, "");
  EXPECT_EQ(lines[2].type, '\0');  // '=' is not second
  EXPECT_EQ(lines[2].value, "=c");
  EXPECT_EQ(lines[3].type, '\0');  // no type letter
  EXPECT_TRUE(lines_of("").empty());
}

TEST(SdpLinesTest, FieldsAreSplitOnSpacesAndRunsOfThem) {
  std::string_view m = "audio  49170 RTP/AVP 0 8 ";
  EXPECT_EQ(next_field(m), "audio");
  EXPECT_EQ(next_field(m), "49170");
  EXPECT_EQ(next_field(m), "RTP/AVP");
  EXPECT_EQ(next_field(m), "0");
  EXPECT_EQ(next_field(m), "8");
  EXPECT_EQ(next_field(m), "");
  EXPECT_EQ(m, "");
}

}  // namespace
}  // namespace sbc::cp::sip::sdp_detail
