// Management commands of the edge security and the registrar: bans (list, add, remove), ACLs,
// registrations and per-account call rates. Handlers only parse arguments and format; the work is
// EdgeSecurity's and Registrar's, the same functions the B2BUA uses.
#pragma once

#include "controlplane/mgmt/command_table.h"
#include "controlplane/registrar/registrar.h"
#include "controlplane/security/edge_security.h"

namespace sbc::cp {

// References must outlive `table`.
void register_security_commands(CommandTable& table, EdgeSecurity& security,
                                const Registrar& registrar);

[[nodiscard]] CommandOutput show_bans(const EdgeSecurity& security);
[[nodiscard]] CommandOutput show_registrations(const EdgeSecurity& security,
                                               const Registrar& registrar);
[[nodiscard]] CommandOutput show_acl(const EdgeSecurity& security);
[[nodiscard]] CommandOutput show_accounts(const EdgeSecurity& security);

}  // namespace sbc::cp
