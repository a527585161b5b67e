// A session description parsed once and kept with the text its views point into: what a call
// keeps of an offer or answer (sip::SessionDescription alone holds views into a message body).
// Copies share the same immutable text and parse.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "controlplane/sip/sdp.h"

namespace sbc::cp {

class SdpBody {
 public:
  [[nodiscard]] static std::expected<SdpBody, sip::SdpError> parse(std::string_view text);

  [[nodiscard]] const std::string& text() const { return parsed_->text; }
  [[nodiscard]] const sip::SessionDescription& description() const { return parsed_->sdp; }
  // "username session-id version" of o=: an unchanged one is the same description (RFC 3264 §8).
  [[nodiscard]] std::string origin() const;

 private:
  struct Parsed {
    std::string text;
    sip::SessionDescription sdp;  // views into `text`, which never moves (heap, immutable)
  };
  explicit SdpBody(std::shared_ptr<const Parsed> parsed) : parsed_(std::move(parsed)) {}
  std::shared_ptr<const Parsed> parsed_;
};

}  // namespace sbc::cp
