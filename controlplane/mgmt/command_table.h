// The table of management commands that sbcd serves over its management socket.
//
// Every front end (the sbc-cli through MgmtServer, tests, a future HTTP API) runs commands through
// one CommandTable, so a command is written once: its handler decodes the arguments and calls the
// same core function any other front end would.
//
// A command is a fixed sequence of words ("show calls", "ban add") followed by free arguments. A
// command line is matched against the registered words by longest prefix: with "show call" and
// "show calls" registered, "show call 42" runs "show call" with args {"42"}, "show calls" runs
// "show calls" with no args. Words are matched exactly (case-sensitive, no abbreviations); the CLI
// offers tab completion instead.
//
// Built in: `help [words...]` lists the commands (all, or those starting with the given words). Its
// JSON data is the machine-readable command list the CLI fetches for completion and `?`:
//     {"commands": [{"words": ["show", "calls"], "help": "List active calls"}, ...]}
//
// Threading: not thread-safe; register every command before the server starts, then dispatch from
// the io_context thread only (handlers run there too and must not block for long).
#pragma once

#include <cstddef>
#include <expected>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::cp {

// What a command produced. `text` is what a human sees (end lines with '\n'); `data` is the same
// result for scripts (`sbc-cli --json`). A handler fills both; the server sends the one the client
// asked for. `data` may stay null for commands with nothing structured to say.
struct CommandOutput {
  std::string text;
  nlohmann::json data;
};

// A handler's result: the output, or a one-line, human-readable error ("no call with id 42").
using CommandResult = std::expected<CommandOutput, std::string>;

// Arguments after the command's words, e.g. {"42"} for "show call 42".
using CommandArgs = std::span<const std::string>;

using CommandHandler = std::function<CommandResult(CommandArgs args)>;

// One registered command, as listed by `help`.
struct CommandInfo {
  std::vector<std::string> words;  // e.g. {"show", "calls"}
  std::string help;                // one line, e.g. "show call <id>: Show one call's media streams"
};

class CommandTable {
 public:
  // Upper bounds that keep a hostile or buggy client from making dispatch expensive.
  static constexpr size_t kMaxWords = 64;
  static constexpr size_t kMaxWordLength = 256;

  // Registers the built-in `help`.
  CommandTable();
  // `help` refers to this table, so the table stays where it was made.
  CommandTable(const CommandTable&) = delete;
  CommandTable& operator=(const CommandTable&) = delete;

  // Registers a command. `words` must be non-empty, each word non-empty, at most kMaxWordLength
  // bytes, without whitespace; the same words may not be registered twice. Breaking these rules is
  // a programming error, so it throws std::logic_error (at start-up, where it is caught loudly).
  // A command may be a prefix of another ("show call" and "show call media"): longest match wins.
  void add(std::vector<std::string> words, std::string help, CommandHandler handler);

  // Runs the command that `line` (already split into words) selects. Errors (as values):
  //   - empty line or too many/too long words;
  //   - unknown command: the message lists close matches ("did you mean: show calls");
  //   - incomplete command ("show"): the message lists how it can continue;
  //   - whatever the handler returned. A handler that throws is reported as an error too, so one
  //     faulty command cannot take down sbcd's event loop.
  [[nodiscard]] CommandResult dispatch(std::span<const std::string> line) const;

  // Every registered command (built-ins included), sorted by words.
  [[nodiscard]] std::vector<CommandInfo> commands() const;

 private:
  struct Entry {
    CommandInfo info;
    CommandHandler handler;
  };

  // The entry whose words are the longest prefix of `line`, or nullptr.
  [[nodiscard]] const Entry* find(std::span<const std::string> line) const;
  [[nodiscard]] CommandResult help(CommandArgs args) const;
  [[nodiscard]] std::string explain_no_match(std::span<const std::string> line) const;

  std::vector<Entry> entries_;  // sorted by info.words
};

}  // namespace sbc::cp
