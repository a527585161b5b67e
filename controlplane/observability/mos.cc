#include "controlplane/observability/mos.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace sbc::cp {

namespace {
constexpr double kRoMinusIs = 93.2;  // G.107 default transmission rating
constexpr double kAdvantage = 0;     // A: 0 for a fixed-line service

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

struct CodecRow {
  std::string_view name;
  CodecImpairment impairment;
};
// G.113 Appendix I (Ie, and Bpl for random loss).
constexpr std::array<CodecRow, 7> kCodecs{{
    {"PCMU", {0, 25.1}},  // G.711 with packet loss concealment
    {"PCMA", {0, 25.1}},
    {"G722", {0, 25.1}},   // rated on the narrowband scale as G.711 (no wideband E-model here)
    {"G729", {11, 19.0}},  // G.729A with VAD
    {"iLBC", {10, 32.0}},
    {"GSM", {20, 10.0}},  // GSM-FR (06.10)
    {"AMR", {5, 10.0}},   // AMR 12.2
}};
}  // namespace

CodecImpairment codec_impairment(std::string_view encoding) {
  for (const CodecRow& row : kCodecs) {
    if (iequals(row.name, encoding)) return row.impairment;
  }
  return kCodecs[0].impairment;
}

double one_way_delay_ms(const EModelInput& in) {
  return std::max(in.rtt_ms, 0.0) / 2 + 2 * std::max(in.jitter_ms, 0.0);
}

double r_factor(const EModelInput& in) {
  const double ta = one_way_delay_ms(in);
  const double id = 0.024 * ta + (ta > 177.3 ? 0.11 * (ta - 177.3) : 0);
  const double ppl = std::clamp(in.loss_percent, 0.0, 100.0);
  const double ie = in.codec.ie;
  const double ie_eff = ie + (95 - ie) * ppl / (ppl + in.codec.bpl);
  return kRoMinusIs - id - ie_eff + kAdvantage;
}

double mos_from_r(double r) {
  if (r <= 0) return 1.0;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

DirectionQuality direction_quality(const api::LegStats& from, const api::LegStats& to,
                                   CodecImpairment codec) {
  DirectionQuality d;
  const api::MediaQuality& rtp = from.rtp.quality;
  const api::MediaQuality& report = to.rtcp.quality;
  d.expected = rtp.expected;
  if (d.expected == 0) return d;
  d.lost = std::max<int64_t>(rtp.lost, report.reports > 0 ? report.peer_lost : 0);
  d.loss_percent =
      std::clamp(100.0 * static_cast<double>(d.lost) / static_cast<double>(d.expected), 0.0, 100.0);
  const double clock = rtp.clock_hz != 0 ? rtp.clock_hz : 8000.0;
  const uint32_t jitter = std::max(rtp.jitter, report.reports > 0 ? report.peer_jitter : 0u);
  d.jitter_ms = 1000.0 * jitter / clock;
  d.rtt_ms = (from.rtcp.quality.rtt_us + to.rtcp.quality.rtt_us) / 1000.0;
  d.mos = estimate_mos({d.loss_percent, d.jitter_ms, d.rtt_ms, codec});
  return d;
}

}  // namespace sbc::cp
