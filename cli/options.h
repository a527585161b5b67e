// sbc-cli's command line: `sbc-cli [--socket PATH] [--json] [--timeout SECS] [command words...]`.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <vector>

namespace sbc::cli {

struct Options {
  std::string socket_path;
  bool json = false;
  std::chrono::milliseconds timeout{5000};
  std::vector<std::string> words;  // empty: interactive
  bool help = false;               // --help: print usage() and exit 0
};

// Errors name the offending option. Words that start with '-' follow a "--".
[[nodiscard]] std::expected<Options, std::string> parse_options(int argc, const char* const argv[]);

std::string usage();

}  // namespace sbc::cli
