#include "cli/interactive.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/command_runner.h"

namespace sbc::cli {
namespace {

constexpr size_t kScreenWidth = 80;

// Prints words in columns, like a shell listing completions.
void print_columns(const std::vector<std::string>& words) {
  size_t width = 0;
  for (const std::string& word : words) width = std::max(width, word.size());
  width += 2;
  size_t per_row = std::max<size_t>(1, kScreenWidth / width);
  std::fputs("\n", stdout);
  for (size_t i = 0; i < words.size(); ++i) {
    std::fprintf(stdout, "%-*s", static_cast<int>(width), words[i].c_str());
    if ((i + 1) % per_row == 0 || i + 1 == words.size()) std::fputs("\n", stdout);
  }
}

}  // namespace

Interactive::Interactive(Client& client, api::OutputFormat format, std::string history_path)
    : client_(client), format_(format), history_path_(std::move(history_path)) {
  history_ = history_init();
  history(history_, &event_, H_SETSIZE, kHistorySize);
  history(history_, &event_, H_SETUNIQUE, 1);
  if (!history_path_.empty()) history(history_, &event_, H_LOAD, history_path_.c_str());

  el_ = el_init("sbc-cli", stdin, stdout, stderr);
  el_set(el_, EL_CLIENTDATA, this);
  el_set(el_, EL_EDITOR, "emacs");
  el_set(el_, EL_SIGNAL, 1);  // restore the terminal on SIGINT/SIGTSTP and friends
  el_set(el_, EL_PROMPT, &Interactive::prompt);
  el_set(el_, EL_HIST, history, history_);
  el_set(el_, EL_ADDFN, "sbc-complete", "Complete a command word", &Interactive::on_tab);
  el_set(el_, EL_ADDFN, "sbc-help", "List matching commands", &Interactive::on_question_mark);
  el_set(el_, EL_BIND, "^I", "sbc-complete", nullptr);
  el_set(el_, EL_BIND, "?", "sbc-help", nullptr);
  el_source(el_, nullptr);  // the user's ~/.editrc, if any
}

Interactive::~Interactive() {
  save_history();
  el_end(el_);
  history_end(history_);
}

std::string Interactive::default_history_path() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return {};
  return std::string(home) + "/.sbc_cli_history";
}

Interactive& Interactive::self(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return *static_cast<Interactive*>(data);
}

char* Interactive::prompt(EditLine* el) {
  return self(el).prompt_.data();
}

std::string Interactive::text_before_cursor() const {
  const LineInfo* line = el_line(el_);
  return std::string(line->buffer, static_cast<size_t>(line->cursor - line->buffer));
}

void Interactive::refresh_commands(bool report_failure) {
  if (completer_.has_server_commands()) return;
  auto commands = client_.fetch_commands();
  if (commands) {
    completer_ = Completer(std::move(*commands));
  } else if (report_failure) {
    std::cerr << "sbc-cli: " << commands.error().message
              << " (completion works once sbcd answers)\n";
  }
}

unsigned char Interactive::on_tab(EditLine* el, int /*key*/) {
  Interactive& shell = self(el);
  shell.refresh_commands(/*report_failure=*/false);
  Completion completion = shell.completer_.complete(shell.text_before_cursor());
  if (completion.candidates.empty()) return CC_REFRESH_BEEP;
  if (completion.candidates.size() == 1) {
    std::string rest = completion.candidates.front().substr(completion.word.size()) + " ";
    return el_insertstr(el, rest.c_str()) == 0 ? CC_REFRESH : CC_ERROR;
  }
  if (completion.common_prefix.size() > completion.word.size()) {
    std::string rest = completion.common_prefix.substr(completion.word.size());
    return el_insertstr(el, rest.c_str()) == 0 ? CC_REFRESH : CC_ERROR;
  }
  print_columns(completion.candidates);
  return CC_REDISPLAY;
}

unsigned char Interactive::on_question_mark(EditLine* el, int /*key*/) {
  Interactive& shell = self(el);
  shell.refresh_commands(/*report_failure=*/false);
  std::vector<CommandSpec> commands = shell.completer_.help_for(shell.text_before_cursor());
  std::fputs("\n", stdout);
  if (commands.empty()) {
    std::fputs("  no command matches; press Tab or type 'help'\n", stdout);
    return CC_REDISPLAY;
  }
  size_t width = 0;
  for (const CommandSpec& command : commands)
    width = std::max(width, join_words(command.words).size());
  for (const CommandSpec& command : commands) {
    std::fprintf(stdout, "  %-*s  %s\n", static_cast<int>(width), join_words(command.words).c_str(),
                 command.help.c_str());
  }
  return CC_REDISPLAY;
}

void Interactive::save_history() {
  if (history_path_.empty()) return;
  // Commands may name addresses and accounts: keep the file private.
  mode_t old_mask = ::umask(077);
  history(history_, &event_, H_SAVE, history_path_.c_str());
  ::umask(old_mask);
}

int Interactive::run() {
  refresh_commands(/*report_failure=*/true);
  while (true) {
    int count = 0;
    const char* raw = el_gets(el_, &count);
    if (raw == nullptr || count <= 0) {  // Ctrl-D
      std::fputs("\n", stdout);
      break;
    }
    std::string line(raw, static_cast<size_t>(count));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (Completer::split(line).empty()) continue;
    history(history_, &event_, H_ENTER, line.c_str());
    LineOutcome outcome = run_line(client_, line, format_, std::cout, std::cerr);
    if (outcome.leave) break;
    // A connection problem hides once sbcd is back: refetch the command list then.
    if (outcome.exit_code == kExitConnection) completer_ = Completer();
    save_history();
  }
  return kExitOk;
}

}  // namespace sbc::cli
