// A first slice of the RFC 4475 torture corpus (the complete corpus is covered later): valid
// messages must parse and validate; invalid ones must fail with the specific error named here.
#include <gtest/gtest.h>

#include "sip/message.h"
#include "test_util.h"

namespace sbc::cp::sip {
namespace {

using testing::load_data;

// Parses and validates; returns the first error, or nullopt when the message is acceptable.
std::optional<ParseError> verdict(const std::string& name) {
  auto m = Message::parse(load_data(name));
  if (!m) return m.error();
  if (auto ok = m->validate(); !ok) return ok.error();
  return std::nullopt;
}

class ValidMessages : public ::testing::TestWithParam<const char*> {};

TEST_P(ValidMessages, ParseAndValidate) {
  const auto v = verdict(GetParam());
  EXPECT_FALSE(v.has_value()) << GetParam() << ": " << to_string(*v);
}

INSTANTIATE_TEST_SUITE_P(Rfc4475, ValidMessages,
                         ::testing::Values("wsinv.dat", "intmeth.dat", "esc01.dat", "escnull.dat",
                                           "esc02.dat", "lwsdisp.dat", "longreq.dat", "dblreq.dat",
                                           "semiuri.dat", "transports.dat", "mpart01.dat",
                                           "unreason.dat", "noreason.dat", "inv2543.dat",
                                           "unkscm.dat", "unksm2.dat", "zeromf.dat"));

struct Invalid {
  const char* file;
  ParseError error;
};

class InvalidMessages : public ::testing::TestWithParam<Invalid> {};

TEST_P(InvalidMessages, RejectedWithSpecificError) {
  const auto v = verdict(GetParam().file);
  ASSERT_TRUE(v.has_value()) << GetParam().file;
  EXPECT_EQ(*v, GetParam().error) << GetParam().file << ": " << to_string(*v);
}

INSTANTIATE_TEST_SUITE_P(Rfc4475, InvalidMessages,
                         ::testing::Values(Invalid{"clerr.dat", ParseError::kBodyTruncated},
                                           Invalid{"ncl.dat", ParseError::kBadContentLength},
                                           Invalid{"scalar02.dat", ParseError::kBadCSeq},
                                           Invalid{"bigcode.dat", ParseError::kBadStatusCode},
                                           Invalid{"badvers.dat", ParseError::kBadVersion},
                                           Invalid{"lwsstart.dat", ParseError::kBadStartLine},
                                           Invalid{"ltgtruri.dat", ParseError::kBadRequestUri},
                                           Invalid{"lwsruri.dat", ParseError::kBadRequestUri},
                                           Invalid{"trws.dat", ParseError::kBadVersion},
                                           Invalid{"escruri.dat", ParseError::kBadRequestUri},
                                           Invalid{"quotbal.dat", ParseError::kBadQuotedString},
                                           Invalid{"badinv01.dat", ParseError::kBadVia},
                                           Invalid{"mismatch01.dat",
                                                   ParseError::kCSeqMethodMismatch}));

TEST(Rfc4475, DoubleRequestKeepsOnlyTheFirst) {
  auto m = Message::parse(load_data("dblreq.dat"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->method(), Method::kRegister);
  EXPECT_TRUE(m->body().empty());
  EXPECT_EQ(*m->call_id(), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
}

TEST(Rfc4475, UnknownRequestUriSchemeIsVisible) {
  auto m = Message::parse(load_data("unkscm.dat"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_uri()->scheme, UriScheme::kOther);  // the application answers 416
}

}  // namespace
}  // namespace sbc::cp::sip
