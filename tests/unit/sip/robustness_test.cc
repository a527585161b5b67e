// Deterministic mutation sweep: every truncation and many byte substitutions of valid messages
// must give a value or an error from every accessor, never a crash (run under ASan/UBSan too).
#include <gtest/gtest.h>

#include <random>

#include "sip/editor.h"
#include "sip/message.h"
#include "sip/sdp.h"
#include "test_util.h"

namespace sbc::cp::sip {
namespace {

void exercise(std::string bytes) {
  auto m = Message::parse(std::move(bytes));
  if (!m) return;
  (void)m->request_uri();
  (void)m->vias();
  (void)m->top_via();
  (void)m->from();
  (void)m->to();
  (void)m->call_id();
  (void)m->cseq();
  (void)m->max_forwards();
  (void)m->contacts();
  (void)m->content_type();
  (void)m->content_length();
  (void)m->expires();
  (void)m->routes();
  (void)m->record_routes();
  (void)m->validate();
  (void)MessageEditor(*m).serialize();
  if (auto sdp = parse_sdp(m->body()); sdp) {
    SdpRewrite rw;
    rw.address = "192.0.2.1";
    rw.media.resize(sdp->media.size(), {20000, 20001});
    (void)rewrite_sdp(m->body(), rw);
  }
}

TEST(Robustness, TruncationsAndMutationsNeverCrash) {
  const char* kSeeds[] = {"wsinv.dat",    "intmeth.dat", "esc01.dat",  "lwsdisp.dat",
                          "badinv01.dat", "quotbal.dat", "mpart01.dat"};
  const std::string kAlphabet = std::string("\r\n \t:;,<>\"\\@=/[]?%0aZ\x7f\x80", 22) + '\0';
  std::mt19937 rng(4475);  // fixed seed: reproducible
  for (const char* name : kSeeds) {
    const std::string seed = testing::load_data(name);
    for (size_t n = 0; n <= seed.size(); ++n) exercise(seed.substr(0, n));
    for (int i = 0; i < 3000; ++i) {
      std::string mutated = seed;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        mutated[rng() % mutated.size()] = kAlphabet[rng() % kAlphabet.size()];
      }
      exercise(std::move(mutated));
    }
  }
  SUCCEED();
}

}  // namespace
}  // namespace sbc::cp::sip
