// The core of every reload (SIGHUP, `sbc-cli reload`): the planned configuration becomes the
// running one and each component derives its state from it again.
#pragma once

#include "controlplane/config/config.h"
#include "controlplane/config/config_reload.h"

namespace sbc::cp {

class B2bua;
class EdgeSecurity;
class Registrar;
// Makes `next` (a validated file) the running configuration `running` (the object b2bua and
// security were built with) and has them derive their state again: the core of every reload.
// A removed user's registrations are dropped. The caller opens new zones' listeners and closes
// retired ones'.
ReloadSummary apply_reload(Config& running, Config next, B2bua& b2bua, EdgeSecurity& security,
                           Registrar& registrar);

}  // namespace sbc::cp
