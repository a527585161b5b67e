// The one function behind both ways of running a command (one-shot and interactive): send the
// words, print the reply, say how it went as a process exit code.
#pragma once

#include <istream>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "api/mgmt_protocol.h"
#include "cli/client.h"

namespace sbc::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCommandFailed = 1;  // sbcd answered with an error
inline constexpr int kExitConnection = 2;     // could not talk to sbcd
inline constexpr int kExitUsage = 64;         // bad command line (sysexits EX_USAGE)

// Text format prints the reply's text; JSON format prints its data, pretty-printed. Errors go to
// `err`, prefixed "error: " (command failed) or "sbc-cli: " (connection).
int run_command(Client& client, std::span<const std::string> words, api::OutputFormat format,
                std::ostream& out, std::ostream& err);

// One line as typed in the shell: blank does nothing, `exit`/`quit` leave, the rest runs.
struct LineOutcome {
  bool leave = false;
  int exit_code = kExitOk;
};
LineOutcome run_line(Client& client, std::string_view line, api::OutputFormat format,
                     std::ostream& out, std::ostream& err);

// Lines from a pipe or file (`echo "show calls" | sbc-cli`), no prompt, until EOF or `exit`.
// Returns the worst exit code seen (connection failure over command failure over success).
int run_script(Client& client, std::istream& in, api::OutputFormat format, std::ostream& out,
               std::ostream& err);

}  // namespace sbc::cli
