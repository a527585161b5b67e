#include "controlplane/sip/header_table.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace sbc::cp::sip {
namespace {

TEST(HeaderTable, LongNamesAnyCase) {
  EXPECT_EQ(header_id("Via"), HeaderId::kVia);
  EXPECT_EQ(header_id("VIA"), HeaderId::kVia);
  EXPECT_EQ(header_id("call-id"), HeaderId::kCallId);
  EXPECT_EQ(header_id("CSEQ"), HeaderId::kCSeq);
  EXPECT_EQ(header_id("www-authenticate"), HeaderId::kWwwAuthenticate);
  EXPECT_EQ(header_id("Record-Route"), HeaderId::kRecordRoute);
}

TEST(HeaderTable, CompactForms) {
  EXPECT_EQ(header_id("i"), HeaderId::kCallId);
  EXPECT_EQ(header_id("m"), HeaderId::kContact);
  EXPECT_EQ(header_id("e"), HeaderId::kContentEncoding);
  EXPECT_EQ(header_id("L"), HeaderId::kContentLength);
  EXPECT_EQ(header_id("c"), HeaderId::kContentType);
  EXPECT_EQ(header_id("f"), HeaderId::kFrom);
  EXPECT_EQ(header_id("s"), HeaderId::kSubject);
  EXPECT_EQ(header_id("k"), HeaderId::kSupported);
  EXPECT_EQ(header_id("T"), HeaderId::kTo);
  EXPECT_EQ(header_id("v"), HeaderId::kVia);
  EXPECT_EQ(header_id("o"), HeaderId::kEvent);
  EXPECT_EQ(header_id("u"), HeaderId::kAllowEvents);
  EXPECT_EQ(header_id("r"), HeaderId::kReferTo);
  EXPECT_EQ(header_id("b"), HeaderId::kReferredBy);
  EXPECT_EQ(header_id("x"), HeaderId::kSessionExpires);
}

TEST(HeaderTable, UnknownNamesAreOther) {
  EXPECT_EQ(header_id("X-Custom"), HeaderId::kOther);
  EXPECT_EQ(header_id("q"), HeaderId::kOther);
  EXPECT_EQ(header_id(""), HeaderId::kOther);
  EXPECT_EQ(header_id("Vias"), HeaderId::kOther);
  // The case folding of the hashed lookup must not fold control bytes onto '-' or digits.
  EXPECT_EQ(header_id("Content\rType"), HeaderId::kOther);
  EXPECT_EQ(header_id(std::string_view("Min\x0dSE", 6)), HeaderId::kOther);
  EXPECT_EQ(header_id("1"), HeaderId::kOther);
  EXPECT_EQ(header_id("\xc3"), HeaderId::kOther);
}

TEST(HeaderTable, CanonicalNamesRoundTrip) {
  for (int i = 1; i < static_cast<int>(HeaderId::kCount); ++i) {
    const auto id = static_cast<HeaderId>(i);
    ASSERT_FALSE(header_name(id).empty());
    EXPECT_EQ(header_id(header_name(id)), id) << header_name(id);
    std::string lower(header_name(id));
    std::string upper(header_name(id));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(header_id(lower), id) << lower;
    EXPECT_EQ(header_id(upper), id) << upper;
  }
  EXPECT_EQ(header_name(HeaderId::kCallId), "Call-ID");
  EXPECT_TRUE(is_list_header(HeaderId::kVia));
  EXPECT_TRUE(is_list_header(HeaderId::kRecordRoute));
  EXPECT_FALSE(is_list_header(HeaderId::kFrom));
}

}  // namespace
}  // namespace sbc::cp::sip
