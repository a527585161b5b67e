#include "controlplane/observability/mos.h"

#include <gtest/gtest.h>

namespace sbc::cp {
namespace {

EModelInput g711(double loss_percent, double jitter_ms = 0, double rtt_ms = 0) {
  return {loss_percent, jitter_ms, rtt_ms, codec_impairment("PCMU")};
}

TEST(Mos, CleanG711IsAbout4Point4) {
  EXPECT_NEAR(r_factor(g711(0)), 93.2, 1e-9);
  EXPECT_NEAR(estimate_mos(g711(0)), 4.41, 0.01);
  EXPECT_NEAR(estimate_mos(g711(0, 5, 40)), 4.39, 0.01);  // Ta = 30 ms: Id = 0.72
}

TEST(Mos, FallsWithLoss) {
  // G.711 with PLC, Bpl 25.1: 1% -> Ie,eff 3.64; 5% -> 15.78.
  EXPECT_NEAR(r_factor(g711(1)), 93.2 - 95.0 / 26.1, 1e-6);
  EXPECT_NEAR(estimate_mos(g711(5)), 3.92, 0.01);
  double previous = 5;
  for (double loss : {0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0}) {
    const double mos = estimate_mos(g711(loss));
    EXPECT_LT(mos, previous) << loss;
    previous = mos;
  }
}

TEST(Mos, FallsWithDelayAndFasterPast177Ms) {
  const double r100 = r_factor(g711(0, 0, 200));  // Ta 100
  const double r300 = r_factor(g711(0, 0, 600));  // Ta 300
  EXPECT_NEAR(r100, 93.2 - 2.4, 1e-9);
  EXPECT_NEAR(r300, 93.2 - 7.2 - 0.11 * (300 - 177.3), 1e-9);
  EXPECT_NEAR(one_way_delay_ms(g711(0, 20, 100)), 90, 1e-9);  // 50 + 2 x 20
}

TEST(Mos, CodecsFromG113) {
  EXPECT_NEAR(r_factor({0, 0, 0, codec_impairment("g729")}), 93.2 - 11, 1e-9);
  EXPECT_EQ(codec_impairment("PCMA").ie, 0);
  EXPECT_EQ(codec_impairment("unknown").bpl, codec_impairment("PCMU").bpl);
  EXPECT_LT(estimate_mos({0, 0, 0, codec_impairment("G729")}), estimate_mos(g711(0)));
}

TEST(Mos, MosFromRIsBounded) {
  EXPECT_EQ(mos_from_r(-5), 1.0);
  EXPECT_EQ(mos_from_r(0), 1.0);
  EXPECT_EQ(mos_from_r(100), 4.5);
  EXPECT_NEAR(mos_from_r(50), 2.58, 0.01);
  EXPECT_GE(estimate_mos(g711(100, 1000, 10000)), 1.0);
}

}  // namespace
}  // namespace sbc::cp
