// Runs one of the built programs, for the tests of a main(): its exit code and what it wrote to
// stdout and stderr (merged). `input`: its stdin (else /dev/null, which is no terminal).
#pragma once

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace sbc::testing {

struct ProgramResult {
  int exit_code = -1;
  std::string output;
};

// `arguments` go through the shell as written: quote what needs it.
inline ProgramResult run_program(const std::string& program, const std::string& arguments,
                                 const std::string& input = {}) {
  std::string stdin_path = "/dev/null";
  const auto input_file = std::filesystem::temp_directory_path() /
                          fmt::format("run_program_{}_{}.in", ::getpid(), std::rand());
  if (!input.empty()) {
    std::ofstream(input_file) << input;
    stdin_path = input_file.string();
  }
  const std::string command = fmt::format("'{}' {} <'{}' 2>&1", program, arguments, stdin_path);
  ProgramResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen " << command;
    return result;
  }
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::filesystem::remove(input_file);
  return result;
}

}  // namespace sbc::testing
