// Deterministic mutation sweep: every truncation and many byte substitutions of the RFC 4475
// corpus must give a value or an error from every accessor, validate(), check_request(), the
// multipart and SDP parsers and the editor, never a crash (run under ASan/UBSan too).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "controlplane/sip/builder.h"
#include "controlplane/sip/editor.h"
#include "controlplane/sip/message.h"
#include "controlplane/sip/multipart.h"
#include "controlplane/sip/request_check.h"
#include "controlplane/sip/sdp.h"
#include "tests/unit/controlplane/sip/test_util.h"

namespace sbc::cp::sip {
namespace {

void exercise_message(const Message& m) {
  (void)m.request_uri();
  (void)m.vias();
  (void)m.top_via();
  (void)m.from();
  (void)m.to();
  (void)m.call_id();
  (void)m.cseq();
  (void)m.max_forwards();
  (void)m.contacts();
  (void)m.content_type();
  (void)m.content_length();
  (void)m.expires();
  (void)m.routes();
  (void)m.record_routes();
  (void)m.supported();
  (void)m.require();
  (void)m.proxy_require();
  (void)m.unsupported();
  (void)m.allow();
  for (const auto& list : {m.authorizations(), m.proxy_authorizations()}) {
    if (!list) continue;
    for (const auto& a : *list) (void)digest_credentials(a);
  }
  for (const auto& list : {m.www_authenticates(), m.proxy_authenticates()}) {
    if (!list) continue;
    for (const auto& a : *list) (void)digest_challenge(a);
  }
  (void)m.session_expires();
  (void)m.min_se();
  (void)m.rseq();
  (void)m.rack();
  (void)m.reasons();
  (void)m.retry_after();
  (void)m.date();
  (void)m.validate();
  RequestPolicy policy;
  policy.methods = {Method::kInvite, Method::kAck, Method::kBye, Method::kCancel};
  if (auto r = check_request(m, policy); r && answerable(m)) {
    auto response = make_response(m, r->code, r->reason, "tag1");
    for (const auto& [id, value] : r->headers) response.add(id, value);
    (void)response.build();
  }
  (void)MessageEditor(m).serialize();
  auto sdp_body = find_sdp(m);
  const std::string_view body = sdp_body && *sdp_body ? **sdp_body : m.body();
  if (auto sdp = parse_sdp(body); sdp) {
    SdpRewrite rw;
    rw.address = "192.0.2.1";
    rw.media.resize(sdp->media.size(), {20000, 20001, {}, {}, {}, {}});
    (void)rewrite_sdp(body, rw);
  }
  (void)parse_multipart(m.body(), "7a9cbec02ceef655");
}

void exercise(const std::string& bytes) {
  if (auto m = Message::parse(bytes)) exercise_message(*m);
  if (auto m = Message::parse(bytes, {}, Framing::kStream)) exercise_message(*m);
  (void)stream_frame_length(bytes);
}

TEST(Robustness, TruncationsAndMutationsNeverCrash) {
  const std::string kAlphabet = std::string("\r\n \t:;,<>\"\\@=/[]?%0aZ-\x7f\x80", 23) + '\0';
  std::mt19937 rng(4475);  // fixed seed: reproducible
  size_t seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SIP_TEST_DATA_DIR)) {
    if (entry.path().extension() != ".dat") continue;
    const std::string seed = testing::load_data(entry.path().filename().string());
    if (seed.empty()) continue;
    ++seeds;
    for (size_t n = 0; n <= seed.size(); ++n) exercise(seed.substr(0, n));
    for (int i = 0; i < 1500; ++i) {
      std::string mutated = seed;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        mutated[rng() % mutated.size()] = kAlphabet[rng() % kAlphabet.size()];
      }
      exercise(mutated);
    }
  }
  EXPECT_EQ(seeds, 49u);
}

TEST(Robustness, HostileShapesAreBounded) {
  // Deep nesting and long runs that could make a naive parser recurse or go quadratic.
  const std::string head = "INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\n";
  exercise(head + "Retry-After: 5 " + std::string(6000, '(') + "\r\n\r\n");
  exercise(head + "Contact: " + std::string(6000, '<') + "\r\n\r\n");
  exercise(head + "To: " + std::string(6000, '"') + "\r\n\r\n");
  exercise(head + "Authorization: Digest " + std::string(6000, ',') + "\r\n\r\n");
  exercise(head + "Require: " + std::string(6000, ',') + "\r\n\r\n");
  std::string many_parts = "--a\r\n";
  for (int i = 0; i < 2000; ++i) many_parts += "\r\n--a\r\n";
  const auto parts = Message::parse(head + "Content-Type: multipart/mixed;boundary=a\r\n\r\n" +
                                    many_parts + "--a--");
  ASSERT_TRUE(parts);
  exercise_message(*parts);
  EXPECT_EQ(find_sdp(*parts).error(), ParseError::kTooManyParts);
  // Multiparts nested 50 deep, the SDP at the bottom: the search stops at its nesting limit.
  std::string nested;
  for (int i = 0; i < 50; ++i) {
    nested += "--b" + std::to_string(i) + "x\r\nContent-Type: multipart/mixed;boundary=b" +
              std::to_string(i + 1) + "x\r\n\r\n";
  }
  nested += "--b50x\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--b50x--";
  for (int i = 49; i >= 0; --i) nested += "\r\n--b" + std::to_string(i) + "x--";
  const auto deep =
      Message::parse(head + "Content-Type: multipart/mixed;boundary=b0x\r\n\r\n" + nested);
  ASSERT_TRUE(deep);
  exercise_message(*deep);
  const auto sdp = find_sdp(*deep);
  ASSERT_TRUE(sdp);
  EXPECT_FALSE(sdp->has_value());
}

}  // namespace
}  // namespace sbc::cp::sip
