#include "cli/options.h"

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <sstream>

#include "api/mgmt_protocol.h"

namespace sbc::cli {
namespace {

namespace po = boost::program_options;

constexpr double kMaxTimeoutSeconds = 3600;

po::options_description visible_options() {
  po::options_description options("Options");
  // clang-format off
  options.add_options()
      ("help,h", "print this help and exit")
      ("socket,s", po::value<std::string>()->default_value(std::string(api::kDefaultMgmtSocket)),
       "sbcd's management socket ([sbcd] mgmt_socket)")
      ("json,j", "print the commands' structured (JSON) output instead of text")
      ("timeout,t", po::value<double>()->default_value(5, "5"),
       "seconds to wait for sbcd (connect and each reply)");
  // clang-format on
  return options;
}

}  // namespace

std::string usage() {
  std::ostringstream out;
  out << "Usage: sbc-cli [options] [command words...]\n"
         "Runs one command on sbcd and prints its output; without command words, starts an\n"
         "interactive shell (tab completion, '?' for help, history in ~/.sbc_cli_history).\n"
         "Exit status: 0 ok, 1 the command failed, 2 sbcd unreachable, 64 bad usage.\n"
         "Examples: sbc-cli show calls;  sbc-cli --json show calls;  sbc-cli help\n"
         "          sbc-cli reload (re-read sbcd's config file; live calls are kept)\n\n"
      << visible_options();
  return out.str();
}

std::expected<Options, std::string> parse_options(int argc, const char* const argv[]) {
  po::options_description all = visible_options();
  all.add_options()("command", po::value<std::vector<std::string>>(), "command words");
  po::positional_options_description positional;
  positional.add("command", -1);

  po::variables_map values;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(),
              values);
    po::notify(values);
  } catch (const po::error& e) {
    return std::unexpected(std::string(e.what()));
  }

  Options options;
  options.help = values.count("help") > 0;
  options.json = values.count("json") > 0;
  options.socket_path = values["socket"].as<std::string>();
  if (options.socket_path.empty()) return std::unexpected("option '--socket' must not be empty");
  double seconds = values["timeout"].as<double>();
  if (!std::isfinite(seconds) || seconds <= 0 || seconds > kMaxTimeoutSeconds) {
    return std::unexpected(fmt::format(
        "option '--timeout' must be more than 0 and at most {} seconds", kMaxTimeoutSeconds));
  }
  options.timeout = std::chrono::milliseconds(static_cast<int64_t>(std::ceil(seconds * 1000)));
  if (values.count("command")) options.words = values["command"].as<std::vector<std::string>>();
  return options;
}

}  // namespace sbc::cli
