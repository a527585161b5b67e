// sbcd: the SBC control plane. `sbcd --config FILE [--check-config]`.
#include <spdlog/spdlog.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "controlplane/app/sbcd.h"
#include "controlplane/config/config.h"
#include "controlplane/config/config_reload.h"

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  po::options_description desc("sbcd options");
  desc.add_options()("help,h", "show this help")(
      "config,c", po::value<std::string>()->default_value("/etc/sbc/sbc.conf"), "config file")(
      "check-config", "validate the config file and exit");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "sbcd: " << e.what() << "\n" << desc;
    return 2;
  }
  if (vm.count("help") != 0) {
    std::cout << "usage: sbcd --config FILE [--check-config]\n" << desc;
    return 0;
  }
  const std::string path = vm["config"].as<std::string>();
  // One validation path: --check-config, start-up and every reload (SIGHUP, sbc-cli reload).
  auto config = sbc::cp::check_config_file(path);
  if (!config) {
    std::cerr << "sbcd: " << config.error() << "\n";
    return 1;
  }
  if (vm.count("check-config") != 0) {
    std::cout << "sbcd: " << path << ": OK\n";
    return 0;
  }
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  sbc::cp::Sbcd sbcd(std::move(*config));
  sbcd.set_config_path(path);
  if (auto started = sbcd.start(); !started) {
    spdlog::critical("sbcd: {}", started.error());
    return 1;
  }
  spdlog::info("sbcd: running");
  sbcd.run();
  spdlog::info("sbcd: stopped");
  return 0;
}
