// sbc-dataplane --config FILE [--check-config] [-- extra EAL args]
#include <fmt/core.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "dataplane/app/dataplane.h"
#include "dataplane/config/dp_config.h"

namespace {

constexpr const char* kUsage =
    "usage: sbc-dataplane --config FILE [--check-config] [-- extra EAL arguments]\n";

struct Args {
  std::string config;
  bool check_only = false;
  std::vector<std::string> extra_eal;
};

std::expected<Args, std::string> parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") {
      args.extra_eal.assign(argv + i + 1, argv + argc);
      break;
    }
    if (arg == "--config" && i + 1 < argc) {
      args.config = argv[++i];
    } else if (arg.starts_with("--config=")) {
      args.config = std::string(arg.substr(9));
    } else if (arg == "--check-config") {
      args.check_only = true;
    } else {
      return std::unexpected(fmt::format("unknown argument '{}'", arg));
    }
  }
  if (args.config.empty()) return std::unexpected(std::string("--config FILE is required"));
  return args;
}

int run(const sbc::dp::Config& config, const Args& args, const char* program) {
  // Block the shutdown signals before the EAL starts its threads (they inherit the mask) and read
  // them from a signalfd in the control loop: no handler, no global flag.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const int stop_fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
  if (stop_fd < 0) {
    spdlog::critical("signalfd: {}", std::generic_category().message(errno));
    return 1;
  }

  std::vector<std::string> eal_args = sbc::dp::build_eal_args(config, program, args.extra_eal);
  spdlog::info("EAL: {}", fmt::join(eal_args, " "));
  std::vector<char*> eal_argv;
  for (auto& a : eal_args) eal_argv.push_back(a.data());
  eal_argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(eal_argv.size() - 1), eal_argv.data()) < 0) {
    spdlog::critical("rte_eal_init: {}", rte_strerror(rte_errno));
    return 1;
  }
  int rc = 0;
  {
    auto dataplane = sbc::dp::Dataplane::start(config);
    if (!dataplane) {
      spdlog::critical("{}", dataplane.error());
      rc = 1;
    } else {
      (*dataplane)->run(stop_fd);
    }
  }  // workers stopped, ports closed, socket removed
  rte_eal_cleanup();
  close(stop_fd);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = parse_args(argc, argv);
  if (!args) {
    std::fprintf(stderr, "sbc-dataplane: %s\n%s", args.error().c_str(), kUsage);
    return 2;
  }
  auto config = sbc::dp::load_config(args->config);
  if (!config) {
    std::fprintf(stderr, "sbc-dataplane: %s\n", config.error().c_str());
    return 2;
  }
  if (args->check_only) {
    std::printf("%s: ok (%zu ports, %zu workers)\n", args->config.c_str(), config->ports.size(),
                config->worker_count());
    return 0;
  }
  return run(*config, *args, argv[0]);
}
