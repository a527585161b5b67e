#include "controlplane/app/apply_reload.h"

#include "controlplane/b2bua/b2bua.h"
#include "controlplane/registrar/registrar.h"
#include "controlplane/security/edge_security.h"

namespace sbc::cp {

ReloadSummary apply_reload(Config& running, Config next, B2bua& b2bua, EdgeSecurity& security,
                           Registrar& registrar) {
  ReloadPlan plan = plan_reload(running, std::move(next));
  for (const UserConfig& u : running.users) {
    if (plan.config.find_user(u.name) == nullptr) registrar.remove_user(u.name);
  }
  running = std::move(plan.config);
  registrar.reconfigure(running.registrar);
  b2bua.reconfigure();
  security.reconfigure(b2bua.call_peers());
  return std::move(plan.summary);
}

}  // namespace sbc::cp
