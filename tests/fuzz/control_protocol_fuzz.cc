// libFuzzer target: the control protocol decoder (api/sbc/api/control_protocol.h) on arbitrary
// packets, Batch and BatchReply included (nested items, counts, sizes). Whatever decodes must
// encode again to the very same bytes (the encoding has one form per value) and decode to an equal
// value. Address::parse gets the same bytes as text.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

#include "api/control_protocol.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace api = sbc::api;
  using sbc::fuzz::check;
  using sbc::fuzz::touch;
  const std::span<const uint8_t> packet(data, size);

  auto decoded = api::decode(packet);
  if (!decoded) {
    touch(api::to_string(decoded.error()));
  } else {
    touch(api::to_string(api::type_of(decoded->message)));
    auto encoded = api::encode(decoded->request_id, decoded->message);
    check(encoded.has_value(), "a decoded message does not encode");
    check(std::ranges::equal(*encoded, packet), "re-encoding changed the bytes");
    auto again = api::decode(*encoded);
    check(again.has_value(), "a re-encoded message does not decode");
    check(again->request_id == decoded->request_id && again->message == decoded->message,
          "decode(encode(m)) differs from m");
    if (const auto* reply = std::get_if<api::HelloReply>(&decoded->message)) {
      for (const auto& port : reply->ports) touch(port.address.to_string());
    }
    if (const auto* batch = std::get_if<api::Batch>(&decoded->message)) {
      check(!batch->items.empty() && batch->items.size() <= api::kMaxBatchItems,
            "a batch outside 1..kMaxBatchItems decoded");
      size_t size = api::kBatchOverhead;
      for (const auto& item : batch->items) {
        size += api::batch_item_size(item);
        check(api::to_batch_item(api::to_message(item)) == item, "batch item does not convert");
      }
      check(size == packet.size(), "batch_item_size disagrees with the encoding");
    }
  }

  // Addresses arrive as text from SDP and configuration.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const api::Address address = api::Address::parse(text);
  if (address.is_set()) {
    const auto canonical = address.to_string();
    check(api::Address::parse(canonical) == address, "address text does not round trip");
  }
  return 0;
}
