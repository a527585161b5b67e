#include "dataplane/media/codecs/telephone_event.h"

#include <array>
#include <string_view>

namespace sbc::dp {

namespace {

constexpr std::string_view kDigits = "0123456789*#ABCD";
constexpr std::array<uint16_t, 4> kRows{697, 770, 852, 941};
constexpr std::array<uint16_t, 4> kColumns{1209, 1336, 1477, 1633};
// Keypad position (row, column) of each event code 0-15.
constexpr std::array<std::array<uint8_t, 2>, 16> kKeypad{{{3, 1},  // 0
                                                          {0, 0},
                                                          {0, 1},
                                                          {0, 2},
                                                          {1, 0},
                                                          {1, 1},
                                                          {1, 2},
                                                          {2, 0},
                                                          {2, 1},
                                                          {2, 2},
                                                          {3, 0},  // *
                                                          {3, 2},  // #
                                                          {0, 3},  // A
                                                          {1, 3},
                                                          {2, 3},
                                                          {3, 3}}};

}  // namespace

TelephoneEvent read_telephone_event(std::span<const uint8_t, kTelephoneEventBytes> bytes) {
  return TelephoneEvent{bytes[0], (bytes[1] & 0x80) != 0, static_cast<uint8_t>(bytes[1] & 0x3f),
                        static_cast<uint16_t>((bytes[2] << 8) | bytes[3])};
}

void write_telephone_event(const TelephoneEvent& event,
                           std::span<uint8_t, kTelephoneEventBytes> bytes) {
  bytes[0] = event.code;
  bytes[1] = static_cast<uint8_t>((event.end ? 0x80 : 0) | (event.volume & 0x3f));
  bytes[2] = static_cast<uint8_t>(event.duration >> 8);
  bytes[3] = static_cast<uint8_t>(event.duration);
}

std::optional<DtmfTones> dtmf_tones(uint8_t code) {
  if (code >= kKeypad.size()) return std::nullopt;
  return DtmfTones{kRows[kKeypad[code][0]], kColumns[kKeypad[code][1]]};
}

std::optional<char> dtmf_digit(uint8_t code) {
  if (code >= kDigits.size()) return std::nullopt;
  return kDigits[code];
}

std::optional<uint8_t> dtmf_code(char digit) {
  if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
  const size_t at = kDigits.find(digit);
  if (at == std::string_view::npos) return std::nullopt;
  return static_cast<uint8_t>(at);
}

}  // namespace sbc::dp
