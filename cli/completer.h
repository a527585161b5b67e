// Tab completion and `?` help for the interactive CLI. Pure: it knows the command list (fetched
// from sbcd's `help`) and the text typed so far, nothing about terminals or sockets.
//
// Lines are split on whitespace; command words never contain any, and arguments (addresses, ids,
// numbers) do not need to.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/client.h"

namespace sbc::cli {

struct Completion {
  std::string word;                     // the partial word before the cursor ("" after a space)
  std::vector<std::string> candidates;  // words that may replace it, sorted, unique
  std::string common_prefix;            // longest prefix all candidates share (starts with word)
};

class Completer {
 public:
  // Commands the CLI itself handles, offered in completion beside the server's.
  static const std::vector<CommandSpec>& local_commands();

  Completer() : Completer(std::vector<CommandSpec>{}) {}
  explicit Completer(std::vector<CommandSpec> server_commands);

  // Candidates for the word being typed at the end of `before_cursor`.
  [[nodiscard]] Completion complete(std::string_view before_cursor) const;

  // The commands that fit what is typed so far: those the line may still become, or, once the
  // command words are complete and arguments follow, the command itself. Sorted by words.
  [[nodiscard]] std::vector<CommandSpec> help_for(std::string_view line) const;

  [[nodiscard]] bool has_server_commands() const { return has_server_commands_; }

  static std::vector<std::string> split(std::string_view line);

 private:
  std::vector<CommandSpec> commands_;  // server's and local, sorted by words
  bool has_server_commands_ = false;
};

// "show calls" from {"show", "calls"}.
std::string join_words(const std::vector<std::string>& words);

}  // namespace sbc::cli
