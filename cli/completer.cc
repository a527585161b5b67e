#include "cli/completer.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace sbc::cli {
namespace {

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// Does `words` start with `prefix` (whole words)?
bool starts_with(const std::vector<std::string>& words, const std::vector<std::string>& prefix) {
  return words.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), words.begin());
}

}  // namespace

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out.push_back(' ');
    out += word;
  }
  return out;
}

const std::vector<CommandSpec>& Completer::local_commands() {
  static const std::vector<CommandSpec> kLocal = {
      {{"exit"}, "Leave the CLI (also: quit, Ctrl-D)"},
      {{"quit"}, "Leave the CLI (also: exit, Ctrl-D)"},
  };
  return kLocal;
}

Completer::Completer(std::vector<CommandSpec> server_commands)
    : commands_(std::move(server_commands)), has_server_commands_(!commands_.empty()) {
  for (const CommandSpec& local : local_commands()) {
    bool shadowed = std::ranges::any_of(
        commands_, [&](const CommandSpec& c) { return c.words == local.words; });
    if (!shadowed) commands_.push_back(local);
  }
  std::ranges::sort(commands_, {}, &CommandSpec::words);
}

std::vector<std::string> Completer::split(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) words.emplace_back(line.substr(start, i - start));
  }
  return words;
}

Completion Completer::complete(std::string_view before_cursor) const {
  std::vector<std::string> typed = split(before_cursor);
  Completion completion;
  if (!before_cursor.empty() && !is_space(before_cursor.back()) && !typed.empty()) {
    completion.word = std::move(typed.back());
    typed.pop_back();
  }
  for (const CommandSpec& command : commands_) {
    if (command.words.size() > typed.size() && starts_with(command.words, typed) &&
        command.words[typed.size()].starts_with(completion.word)) {
      completion.candidates.push_back(command.words[typed.size()]);
    }
  }
  std::ranges::sort(completion.candidates);
  auto [first, last] = std::ranges::unique(completion.candidates);
  completion.candidates.erase(first, last);

  if (!completion.candidates.empty()) {
    completion.common_prefix = completion.candidates.front();
    for (const std::string& candidate : completion.candidates) {
      auto [a, b] = std::ranges::mismatch(completion.common_prefix, candidate);
      completion.common_prefix.erase(static_cast<size_t>(a - completion.common_prefix.begin()));
    }
  }
  return completion;
}

std::vector<CommandSpec> Completer::help_for(std::string_view line) const {
  std::vector<std::string> typed = split(line);
  std::string partial;
  if (!line.empty() && !is_space(line.back()) && !typed.empty()) {
    partial = std::move(typed.back());
    typed.pop_back();
  }
  std::vector<std::string> all = typed;  // every word typed, the partial one included
  if (!partial.empty()) all.push_back(partial);

  std::vector<CommandSpec> out;
  size_t longest_typed = 0;  // words of the longest command typed in full
  for (const CommandSpec& command : commands_) {
    bool may_become = command.words.size() > typed.size() && starts_with(command.words, typed) &&
                      command.words[typed.size()].starts_with(partial);
    bool is_typed = starts_with(all, command.words);
    if (is_typed) longest_typed = std::max(longest_typed, command.words.size());
    if (may_become || is_typed) out.push_back(command);
  }
  // Once arguments follow ("show call 42"), only the command being run is relevant, not the
  // longer commands sharing its words ("show calls").
  if (longest_typed > 0 && all.size() > longest_typed) {
    std::erase_if(out, [&](const CommandSpec& c) {
      return c.words.size() != longest_typed || !starts_with(all, c.words);
    });
  }
  return out;
}

}  // namespace sbc::cli
