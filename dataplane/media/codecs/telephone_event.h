// RFC 4733 telephone-event payload blocks and the DTMF tone pairs of ITU-T Q.23.
//
// A block is 4 bytes: event code, E (end) bit, R (reserved) bit, volume (6 bits, -dBm0), duration
// (16 bits, RTP timestamp units of the telephone-event clock, which is the audio codec's clock).
// Events 0-15 are the DTMF digits 0-9, *, #, A-D.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace sbc::dp {

struct TelephoneEvent {
  uint8_t code = 0;
  bool end = false;
  uint8_t volume = 0;  // 0..63: the power level is -volume dBm0
  uint16_t duration = 0;
};

inline constexpr size_t kTelephoneEventBytes = 4;

// One block from the first 4 bytes of bytes (which holds at least 4).
TelephoneEvent read_telephone_event(std::span<const uint8_t, kTelephoneEventBytes> bytes);
void write_telephone_event(const TelephoneEvent& event,
                           std::span<uint8_t, kTelephoneEventBytes> bytes);

struct DtmfTones {
  uint16_t low_hz;   // row: 697, 770, 852, 941
  uint16_t high_hz;  // column: 1209, 1336, 1477, 1633
  bool operator==(const DtmfTones&) const = default;
};

// The tone pair of DTMF event code (0-15); nullopt for any other event.
std::optional<DtmfTones> dtmf_tones(uint8_t code);
// '0'-'9', '*', '#', 'A'-'D' for codes 0-15; nullopt otherwise.
std::optional<char> dtmf_digit(uint8_t code);
// The inverse of dtmf_digit (lower-case a-d accepted).
std::optional<uint8_t> dtmf_code(char digit);

}  // namespace sbc::dp
