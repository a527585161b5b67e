// Estimated call quality: the E-model (ITU-T G.107) reduced to what an SBC measures on a stream.
//   R = Ro - Is - Id - Ie,eff + A
// with the G.107 default values for everything not measured (Ro - Is = 93.2, A = 0), Id from the
// one-way delay (the G.107 delay impairment for default echo values, in its common closed form:
// 0.024 Ta + 0.11 (Ta - 177.3) for Ta > 177.3 ms), Ie,eff = Ie + (95 - Ie) Ppl / (Ppl + Bpl)
// (random loss, BurstR = 1) with Ie/Bpl per codec from G.113 Appendix I, and MOS from R (G.107
// Annex B). The one-way delay is RTT / 2 plus a jitter buffer estimate of twice the jitter.
#pragma once

#include <cstdint>
#include <string_view>

#include "api/control_protocol.h"

namespace sbc::cp {

struct CodecImpairment {
  double ie = 0;   // equipment impairment factor
  double bpl = 0;  // packet-loss robustness factor
};

// By SDP encoding name (case-insensitive): PCMU/PCMA (G.711 with PLC), G729, G722, iLBC, GSM.
// Anything else is rated as G.711.
CodecImpairment codec_impairment(std::string_view encoding);

struct EModelInput {
  double loss_percent = 0;  // packets lost, % of expected (0..100)
  double jitter_ms = 0;     // interarrival jitter
  double rtt_ms = 0;        // round trip; 0 when not measured
  CodecImpairment codec{};
};

double one_way_delay_ms(const EModelInput& in);
double r_factor(const EModelInput& in);
double mos_from_r(double r);  // 1.0 .. 4.5
inline double estimate_mos(const EModelInput& in) {
  return mos_from_r(r_factor(in));
}

// The quality of one direction of a call, from the dataplane's stats of both legs: `from` is the
// leg the media comes from (its RTP stream: loss and jitter on the way to the SBC; its RTCP
// stream: the round trip SBC <-> that peer), `to` the leg it goes to (its RTCP stream: the
// receiving peer's own reports, i.e. end to end; the round trip SBC <-> it).
struct DirectionQuality {
  uint64_t expected = 0;
  int64_t lost = 0;         // the larger of what the SBC counted and what the receiver reported
  double loss_percent = 0;  // of expected
  double jitter_ms = 0;     // the larger of the SBC's and the receiver's
  double rtt_ms = 0;        // end to end (both legs' round trips); 0: not measured
  double mos = 0;           // E-model estimate; 0 when no RTP was seen
};
DirectionQuality direction_quality(const api::LegStats& from, const api::LegStats& to,
                                   CodecImpairment codec = codec_impairment("PCMU"));

}  // namespace sbc::cp
