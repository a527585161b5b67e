#include "controlplane/security/security_settings.h"

#include <algorithm>
#include <functional>

namespace sbc::cp {

const UserConfig* find_user(const std::vector<UserConfig>& users, std::string_view name) {
  auto it = std::ranges::lower_bound(users, name, std::less<>(), &UserConfig::name);
  return it != users.end() && it->name == name ? &*it : nullptr;
}

}  // namespace sbc::cp
