#include "controlplane/sip/keepalive.h"

namespace sbc::cp::sip {

size_t keepalive_prefix(std::string_view data) {
  size_t i = 0;
  while (i < data.size() && (data[i] == '\r' || data[i] == '\n')) ++i;
  return i;
}

bool is_keepalive(std::string_view data) {
  return !data.empty() && keepalive_prefix(data) == data.size();
}

}  // namespace sbc::cp::sip
