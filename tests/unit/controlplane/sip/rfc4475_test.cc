// The RFC 4475 torture corpus (tests/data/rfc4475, all 49 messages byte-exact): every message's
// parse / validate verdict, and for requests the answer check_request() gives, as each case's
// discussion in the RFC asks (or "dropped" where no response can be built).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <span>
#include <string>

#include "controlplane/sip/message.h"
#include "controlplane/sip/multipart.h"
#include "controlplane/sip/request_check.h"
#include "tests/unit/controlplane/sip/test_util.h"

namespace sbc::cp::sip {
namespace {

using testing::load_data;

constexpr int kAccepted = 0;   // check_request: no rejection, the request proceeds
constexpr int kDropped = -1;   // not parseable, or not answerable: dropped and counted
constexpr int kResponse = -2;  // a response: validate() only

enum class Stage { kNone, kParse, kValidate };

struct Case {
  const char* file;
  Stage stage;       // where the message is refused (kNone: it is valid)
  ParseError error;  // the specific error (ignored for kNone)
  int answer;        // status code, kAccepted, kDropped or kResponse
};

// The policy of the SBC's B2BUA: no option tags, RFC 3261 core methods, SDP bodies.
RequestPolicy b2bua_policy() {
  RequestPolicy p;
  p.methods = {Method::kInvite,  Method::kAck,     Method::kBye,  Method::kCancel,
               Method::kOptions, Method::kUpdate,  Method::kInfo, Method::kMessage,
               Method::kNotify,  Method::kRegister};
  return p;
}

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.file;
}

class Corpus : public ::testing::TestWithParam<Case> {};

TEST_P(Corpus, VerdictAndAnswer) {
  const Case& c = GetParam();
  auto m = Message::parse(load_data(std::string(c.file) + ".dat"));
  if (c.stage == Stage::kParse) {
    ASSERT_FALSE(m.has_value()) << c.file;
    EXPECT_EQ(to_string(m.error()), to_string(c.error));
    EXPECT_EQ(c.answer, kDropped);
    return;
  }
  ASSERT_TRUE(m.has_value()) << c.file << ": " << to_string(m.error());
  const auto valid = m->validate();
  if (c.stage == Stage::kValidate) {
    ASSERT_FALSE(valid.has_value()) << c.file;
    EXPECT_EQ(to_string(valid.error()), to_string(c.error));
  } else {
    EXPECT_TRUE(valid.has_value()) << c.file << ": " << to_string(valid.error());
  }
  if (m->is_response()) {
    EXPECT_EQ(c.answer, kResponse);
    EXPECT_FALSE(check_request(*m, b2bua_policy()).has_value());
    return;
  }
  const auto rejection = check_request(*m, b2bua_policy());
  int answer = rejection ? rejection->code : kAccepted;
  if (rejection && !answerable(*m)) answer = kDropped;
  EXPECT_EQ(answer, c.answer) << c.file;
}

// §3.1.1 valid messages: parse and validate. intmeth's method is an extension nobody implements
// (501); mpart01 is a MESSAGE, which passes the check (the B2BUA relays MESSAGE inside a call and
// answers one outside any with 405 itself).
const Case kValidCases[] = {Case{"wsinv", Stage::kNone, {}, kAccepted},
                            Case{"intmeth", Stage::kNone, {}, 501},
                            Case{"esc01", Stage::kNone, {}, kAccepted},
                            Case{"escnull", Stage::kNone, {}, kAccepted},
                            Case{"esc02", Stage::kNone, {}, 501},  // RE%47IST%45R is not REGISTER
                            Case{"lwsdisp", Stage::kNone, {}, kAccepted},
                            Case{"longreq", Stage::kNone, {}, kAccepted},
                            Case{"dblreq", Stage::kNone, {}, kAccepted},
                            Case{"semiuri", Stage::kNone, {}, kAccepted},
                            Case{"transports", Stage::kNone, {}, kAccepted},
                            Case{"mpart01", Stage::kNone, {}, kAccepted},
                            Case{"unreason", Stage::kNone, {}, kResponse},
                            Case{"noreason", Stage::kNone, {}, kResponse}};
INSTANTIATE_TEST_SUITE_P(Valid, Corpus, ::testing::ValuesIn(kValidCases));

// §3.1.2 invalid messages: a specific error each; 400 where a response can be built (RFC 4475
// asks for 400 in each case), 505 for badvers, 501 for mismatch02. badinv01's only Via is
// malformed, so no response can reach the sender; bigcode and scalarlg are responses (dropped).
const Case kInvalidCases[] = {
    Case{"badinv01", Stage::kValidate, ParseError::kBadVia, kDropped},
    Case{"clerr", Stage::kValidate, ParseError::kBodyTruncated, 400},
    Case{"ncl", Stage::kValidate, ParseError::kBadContentLength, 400},
    Case{"scalar02", Stage::kValidate, ParseError::kBadCSeq, 400},
    Case{"scalarlg", Stage::kValidate, ParseError::kBadCSeq, kResponse},
    Case{"quotbal", Stage::kValidate, ParseError::kBadQuotedString, 400},
    Case{"ltgtruri", Stage::kValidate, ParseError::kBadRequestUri, 400},
    Case{"lwsruri", Stage::kValidate, ParseError::kBadRequestUri, 400},
    Case{"lwsstart", Stage::kValidate, ParseError::kBadStartLine, 400},
    Case{"trws", Stage::kValidate, ParseError::kBadStartLine, 400},
    Case{"escruri", Stage::kValidate, ParseError::kBadRequestUri, 400},
    Case{"baddate", Stage::kValidate, ParseError::kBadDate, 400},
    Case{"regbadct", Stage::kValidate, ParseError::kBadNameAddr, 400},
    Case{"badaspec", Stage::kValidate, ParseError::kBadUri, 400},
    Case{"baddn", Stage::kValidate, ParseError::kBadNameAddr, 400},
    Case{"badvers", Stage::kValidate, ParseError::kBadVersion, 505},
    Case{"mismatch01", Stage::kValidate, ParseError::kCSeqMethodMismatch, 400},
    Case{"mismatch02", Stage::kValidate, ParseError::kCSeqMethodMismatch, 501},
    Case{"bigcode", Stage::kParse, ParseError::kBadStatusCode, kDropped}};
INSTANTIATE_TEST_SUITE_P(Invalid, Corpus, ::testing::ValuesIn(kInvalidCases));

// §3.2 transaction layer, §3.3 application layer, §3.4 RFC 2543 syntax: all parse; the answers
// are those the RFC discusses.
const Case kSemanticsCases[] = {
    Case{"badbranch", Stage::kNone, {}, kAccepted},
    Case{"insuf", Stage::kValidate, ParseError::kMissingHeader, 400},
    Case{"unkscm", Stage::kNone, {}, 416},
    Case{"novelsc", Stage::kNone, {}, 416},
    Case{"unksm2", Stage::kNone, {}, kAccepted},
    Case{"bext01", Stage::kNone, {}, 420},
    Case{"invut", Stage::kNone, {}, 415},
    Case{"regaut01", Stage::kNone, {}, kAccepted},
    Case{"multi01", Stage::kValidate, ParseError::kDuplicateHeader, 400},
    Case{"mcl01", Stage::kValidate, ParseError::kDuplicateHeader, 400},
    Case{"bcast", Stage::kNone, {}, kResponse},
    Case{"zeromf", Stage::kNone, {}, kAccepted},
    Case{"cparam01", Stage::kNone, {}, kAccepted},
    Case{"cparam02", Stage::kNone, {}, kAccepted},
    Case{"regescrt", Stage::kNone, {}, kAccepted},
    Case{"sdp01", Stage::kNone, {}, 406},
    Case{"inv2543", Stage::kNone, {}, kAccepted}};
INSTANTIATE_TEST_SUITE_P(Semantics, Corpus, ::testing::ValuesIn(kSemanticsCases));

TEST(Rfc4475, EveryCorpusFileHasACase) {
  std::set<std::string> named;
  for (std::span<const Case> cases :
       {std::span<const Case>(kValidCases), std::span<const Case>(kInvalidCases),
        std::span<const Case>(kSemanticsCases)}) {
    for (const Case& c : cases) EXPECT_TRUE(named.insert(c.file).second) << c.file;
  }
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SIP_TEST_DATA_DIR)) {
    if (entry.path().extension() != ".dat") continue;
    ++files;
    EXPECT_TRUE(named.contains(entry.path().stem().string())) << entry.path();
  }
  EXPECT_EQ(files, 49u);  // RFC 4475 Appendix A
  EXPECT_EQ(named.size(), 49u);
}

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
  EXPECT_EQ(m->request_uri()->scheme, UriScheme::kOther);
}

TEST(Rfc4475, BadExtensionListsEveryUnknownTag) {
  auto m = Message::parse(load_data("bext01.dat"));
  ASSERT_TRUE(m);
  const auto r = check_request(*m, b2bua_policy());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0].first, HeaderId::kUnsupported);
  EXPECT_EQ(r->headers[0].second,
            "nothingSupportsThis, nothingSupportsThisEither, noProxiesSupportThis, "
            "norDoAnyProxiesSupportThis");
}

TEST(Rfc4475, UnknownBodyTypeListsAccept) {
  auto m = Message::parse(load_data("invut.dat"));
  ASSERT_TRUE(m);
  const auto r = check_request(*m, b2bua_policy());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0].first, HeaderId::kAccept);
  EXPECT_EQ(r->headers[0].second, "application/sdp");
}

TEST(Rfc4475, ZeroMaxForwardsOnOptionsDependsOnPolicy) {
  auto m = Message::parse(load_data("zeromf.dat"));
  ASSERT_TRUE(m);
  RequestPolicy proxy_like = b2bua_policy();
  proxy_like.max_forwards_zero_allowed_for_options = false;
  EXPECT_EQ(check_request(*m, proxy_like)->code, 483);
}

TEST(Rfc4475, MissingHeadersNamedInWarning) {
  auto m = Message::parse(load_data("insuf.dat"));
  ASSERT_TRUE(m);
  const auto r = check_request(*m, b2bua_policy());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0].second, "399 sbc \"Missing From header\"");
}

TEST(Rfc4475, MultipartPartsAndNoSdp) {
  auto m = Message::parse(load_data("mpart01.dat"));
  ASSERT_TRUE(m);
  auto type = m->content_type();
  ASSERT_TRUE(type && *type);
  auto parts = parse_multipart(m->body(), (*type)->param("boundary"));
  ASSERT_TRUE(parts) << to_string(parts.error());
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].body, "Hello");
  EXPECT_EQ((*(*parts)[1].content_type())->subtype, "octet-stream");
  auto sdp = find_sdp(*m);
  ASSERT_TRUE(sdp);
  EXPECT_FALSE(sdp->has_value());
}

TEST(Rfc4475, UnknownAuthorizationSchemeParses) {
  auto m = Message::parse(load_data("regaut01.dat"));
  ASSERT_TRUE(m);
  auto creds = m->authorizations();
  ASSERT_TRUE(creds);
  ASSERT_EQ(creds->size(), 1u);
  EXPECT_EQ((*creds)[0].scheme, "NoOneKnowsThisScheme");
  EXPECT_EQ((*creds)[0].param("opaque-data"), "here");
  EXPECT_FALSE(digest_credentials((*creds)[0]));
}

}  // namespace
}  // namespace sbc::cp::sip
