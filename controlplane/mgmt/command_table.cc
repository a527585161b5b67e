#include "controlplane/mgmt/command_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <utility>

namespace sbc::cp {
namespace {

std::string join(std::span<const std::string> words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out.push_back(' ');
    out += word;
  }
  return out;
}

bool has_space(std::string_view word) {
  return std::ranges::any_of(word, [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  });
}

bool starts_with(std::span<const std::string> line, std::span<const std::string> prefix) {
  return line.size() >= prefix.size() && std::ranges::equal(prefix, line.first(prefix.size()));
}

// Edit distance counting a swap of neighbours as one edit (optimal string alignment), since
// "shwo" for "show" is the commonest typo. Words are bounded by kMaxWordLength.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// A typed word is "close" to a command word if it is a prefix of it, or a typo away.
bool is_close(std::string_view typed, std::string_view word) {
  if (word.starts_with(typed)) return true;
  size_t allowed = std::max<size_t>(1, (word.size() + 1) / 3);
  return edit_distance(typed, word) <= allowed;
}

}  // namespace

CommandTable::CommandTable() {
  add({"help"}, "help [command words]: List commands (those starting with the words, if given)",
      [this](CommandArgs args) { return help(args); });
}

void CommandTable::add(std::vector<std::string> words, std::string help, CommandHandler handler) {
  if (words.empty()) throw std::logic_error("command with no words");
  if (words.size() > kMaxWords) throw std::logic_error("command with too many words");
  for (const std::string& word : words) {
    if (word.empty() || word.size() > kMaxWordLength || has_space(word)) {
      throw std::logic_error(fmt::format("invalid command word '{}' in '{}'", word, join(words)));
    }
  }
  if (!handler) throw std::logic_error(fmt::format("command '{}' has no handler", join(words)));
  auto position = std::ranges::lower_bound(
      entries_, words, {}, [](const Entry& e) -> const auto& { return e.info.words; });
  if (position != entries_.end() && position->info.words == words) {
    throw std::logic_error(fmt::format("command '{}' registered twice", join(words)));
  }
  entries_.insert(position,
                  Entry{CommandInfo{std::move(words), std::move(help)}, std::move(handler)});
}

const CommandTable::Entry* CommandTable::find(std::span<const std::string> line) const {
  const Entry* best = nullptr;
  for (const Entry& entry : entries_) {
    if (starts_with(line, entry.info.words) &&
        (best == nullptr || entry.info.words.size() > best->info.words.size())) {
      best = &entry;
    }
  }
  return best;
}

CommandResult CommandTable::dispatch(std::span<const std::string> line) const {
  if (line.empty()) return std::unexpected("empty command");
  if (line.size() > kMaxWords) {
    return std::unexpected(fmt::format("too many words ({}, at most {})", line.size(), kMaxWords));
  }
  for (const std::string& word : line) {
    if (word.size() > kMaxWordLength) {
      return std::unexpected(
          fmt::format("word of {} bytes is too long (at most {})", word.size(), kMaxWordLength));
    }
  }
  const Entry* entry = find(line);
  if (entry == nullptr) return std::unexpected(explain_no_match(line));
  CommandArgs args = line.subspan(entry->info.words.size());
  try {
    return entry->handler(args);
  } catch (const std::exception& e) {
    return std::unexpected(
        fmt::format("command '{}' failed: {}", join(entry->info.words), e.what()));
  } catch (...) {
    return std::unexpected(fmt::format("command '{}' failed", join(entry->info.words)));
  }
}

std::string CommandTable::explain_no_match(std::span<const std::string> line) const {
  // The longest run of leading words that some command shares tells what the user was after.
  size_t matched = 0;
  for (const Entry& entry : entries_) {
    size_t n = 0;
    while (n < line.size() && n < entry.info.words.size() && line[n] == entry.info.words[n]) ++n;
    matched = std::max(matched, n);
  }
  std::span<const std::string> known = line.first(matched);

  // What may come after the known words: the next word of every command that continues them.
  std::vector<std::string> next_words;
  for (const Entry& entry : entries_) {
    if (entry.info.words.size() > matched && starts_with(entry.info.words, known)) {
      next_words.push_back(entry.info.words[matched]);
    }
  }
  next_words.erase(std::unique(next_words.begin(), next_words.end()), next_words.end());

  if (matched == line.size()) {
    return fmt::format("incomplete command '{}'; continue with: {}", join(line),
                       fmt::join(next_words, ", "));
  }
  const std::string& typed = line[matched];
  std::vector<std::string> close;
  for (const std::string& word : next_words) {
    if (is_close(typed, word)) {
      close.push_back(matched == 0 ? word : join(known) + " " + word);
    }
  }
  std::string message = fmt::format("unknown command '{}'", join(line.first(matched + 1)));
  if (!close.empty()) {
    message += fmt::format("; did you mean: {}", fmt::join(close, ", "));
  } else if (matched > 0) {
    message += fmt::format("; '{}' continues with: {}", join(known), fmt::join(next_words, ", "));
  } else {
    message += "; type 'help' for the list of commands";
  }
  return message;
}

CommandResult CommandTable::help(CommandArgs args) const {
  CommandOutput output;
  output.data = {{"commands", nlohmann::json::array()}};
  size_t width = 0;
  std::vector<const CommandInfo*> shown;
  for (const Entry& entry : entries_) {
    const std::vector<std::string>& words = entry.info.words;
    // "help show" lists "show calls"; "help show call 42" still lists "show call".
    bool selected = starts_with(words, args) || starts_with(args, words);
    if (!selected) continue;
    shown.push_back(&entry.info);
    width = std::max(width, join(words).size());
  }
  if (shown.empty()) return std::unexpected(explain_no_match(args));
  for (const CommandInfo* info : shown) {
    output.text += fmt::format("  {:<{}}  {}\n", join(info->words), width, info->help);
    output.data["commands"].push_back({{"words", info->words}, {"help", info->help}});
  }
  return output;
}

std::vector<CommandInfo> CommandTable::commands() const {
  std::vector<CommandInfo> out;
  out.reserve(entries_.size());
  for (const Entry& entry : entries_) out.push_back(entry.info);
  return out;
}

}  // namespace sbc::cp
