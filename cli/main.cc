// sbc-cli: the command line of the SBC. See options.h for usage and command_runner.h for exit
// codes.
#include <unistd.h>

#include <iostream>

#include "cli/client.h"
#include "cli/command_runner.h"
#include "cli/interactive.h"
#include "cli/options.h"

int main(int argc, char** argv) {
  using namespace sbc::cli;
  auto options = parse_options(argc, argv);
  if (!options) {
    std::cerr << "sbc-cli: " << options.error() << "\nTry 'sbc-cli --help'.\n";
    return kExitUsage;
  }
  if (options->help) {
    std::cout << usage();
    return kExitOk;
  }
  auto format = options->json ? sbc::api::OutputFormat::kJson : sbc::api::OutputFormat::kText;
  Client client(options->socket_path, options->timeout);
  if (!options->words.empty()) {
    return run_command(client, options->words, format, std::cout, std::cerr);
  }
  if (!::isatty(STDIN_FILENO)) return run_script(client, std::cin, format, std::cout, std::cerr);
  Interactive shell(client, format, Interactive::default_history_path());
  return shell.run();
}
