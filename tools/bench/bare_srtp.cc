#include "tools/bench/bare_srtp.h"

#include <rte_cycles.h>

#include <array>
#include <vector>

#include "dataplane/media/srtp_context.h"
#include "dataplane/media/srtp_key.h"
#include "tools/bench/bench_traffic.h"

namespace sbc::dp::bench {

std::expected<Result, std::string> bare_srtp(const SrtpLibrary& library, api::SrtpSuite suite,
                                             uint64_t packets, uint32_t rounds, uint32_t contexts) {
  if (contexts == 0) return std::unexpected(std::string("bare libsrtp: no context"));
  std::vector<SrtpOutbound> out;
  std::vector<SrtpInbound> in;
  out.reserve(contexts);
  in.reserve(contexts);
  for (uint32_t k = 0; k < contexts; ++k) {
    const SrtpMasterKey key = master_of(key_for(suite, 0xffffff - k, 0, 0));
    auto protect = SrtpOutbound::create(library, key);
    auto unprotect = SrtpInbound::create(library, key);
    if (!protect || !unprotect)
      return std::unexpected(std::string("cannot create the SRTP contexts"));
    out.push_back(std::move(*protect));
    in.push_back(std::move(*unprotect));
  }
  const std::vector<uint32_t> next = shuffled_cycle(contexts);
  // Per pair: the next sequence number (each pair's replay window only ever moves forward).
  std::vector<uint16_t> seq(contexts, 0);
  std::array<uint8_t, kRtpPayload + kMaxSrtpTrailer> packet{};
  Result best;
  uint32_t k = 0;
  for (uint32_t round = 0; round < rounds; ++round) {
    Result r;
    r.hz = static_cast<double>(rte_get_tsc_hz());
    const uint64_t start = rte_rdtsc();
    for (uint64_t i = 0; i < packets; ++i, k = next[k]) {
      write_rtp_header(packet.data(), seq[k]++, 0x1234 + k);
      size_t length = kRtpPayload;
      if (out[k].protect_rtp(packet, length) != SrtpResult::kOk ||
          in[k].unprotect_rtp(packet, length) != SrtpResult::kOk) {
        return std::unexpected(std::string("bare libsrtp failed"));
      }
    }
    r.cycles = rte_rdtsc() - start;
    r.packets = packets;
    best = fastest(best, r);
  }
  return best;
}

}  // namespace sbc::dp::bench
