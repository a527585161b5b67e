#include "cli/command_runner.h"

#include <algorithm>
#include <vector>

#include "cli/completer.h"

namespace sbc::cli {

int run_command(Client& client, std::span<const std::string> words, api::OutputFormat format,
                std::ostream& out, std::ostream& err) {
  auto reply = client.call(words, format);
  if (!reply) {
    err << "sbc-cli: " << reply.error().message << '\n';
    return kExitConnection;
  }
  if (!reply->ok) {
    err << "error: " << reply->error << '\n';
    return kExitCommandFailed;
  }
  if (format == api::OutputFormat::kJson) {
    out << reply->data.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    out << reply->text;
    if (!reply->text.empty() && reply->text.back() != '\n') out << '\n';
  }
  out.flush();
  return kExitOk;
}

LineOutcome run_line(Client& client, std::string_view line, api::OutputFormat format,
                     std::ostream& out, std::ostream& err) {
  std::vector<std::string> words = Completer::split(line);
  if (words.empty()) return {};
  if (words.size() == 1 && (words[0] == "exit" || words[0] == "quit")) return {.leave = true};
  return {.leave = false, .exit_code = run_command(client, words, format, out, err)};
}

int run_script(Client& client, std::istream& in, api::OutputFormat format, std::ostream& out,
               std::ostream& err) {
  // Exit codes rank by severity, which matches their numeric order.
  int worst = kExitOk;
  std::string line;
  while (std::getline(in, line)) {
    LineOutcome outcome = run_line(client, line, format, out, err);
    if (outcome.leave) break;
    worst = std::max(worst, outcome.exit_code);
  }
  return worst;
}

}  // namespace sbc::cli
