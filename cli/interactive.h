// The interactive shell: libedit glue around Completer and run_line(). Deliberately thin; the
// logic it calls is tested without a terminal.
//
// Keys: Tab completes the command word under the cursor (lists the choices when ambiguous), `?`
// lists the commands that fit what is typed so far, Ctrl-D / `exit` / `quit` leave. History is kept
// across sessions in a file (bounded to kHistorySize entries, mode 0600). ~/.editrc is honoured.
#pragma once

#include <histedit.h>

#include <cstddef>
#include <string>

#include "api/mgmt_protocol.h"
#include "cli/client.h"
#include "cli/completer.h"

namespace sbc::cli {

class Interactive {
 public:
  static constexpr int kHistorySize = 1000;

  // `history_path` empty: history is not persisted.
  Interactive(Client& client, api::OutputFormat format, std::string history_path);
  ~Interactive();

  Interactive(const Interactive&) = delete;
  Interactive& operator=(const Interactive&) = delete;

  // Reads and runs lines until the user leaves. Returns the exit status (0).
  int run();

  // ~/.sbc_cli_history, or "" when there is no home directory.
  static std::string default_history_path();

 private:
  static Interactive& self(EditLine* el);
  static char* prompt(EditLine* el);
  static unsigned char on_tab(EditLine* el, int key);
  static unsigned char on_question_mark(EditLine* el, int key);

  // Fetches the command list if we do not have it yet (sbcd may have started after us).
  void refresh_commands(bool report_failure);
  std::string text_before_cursor() const;
  void save_history();

  Client& client_;
  api::OutputFormat format_;
  std::string history_path_;
  std::string prompt_ = "sbc> ";
  Completer completer_;
  EditLine* el_ = nullptr;
  History* history_ = nullptr;
  HistEvent event_{};
};

}  // namespace sbc::cli
